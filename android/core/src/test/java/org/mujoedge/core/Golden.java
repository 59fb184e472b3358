package org.mujoedge.core;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Access to the golden vectors written by {@code python -m mujo_edge.firmware_bridge.golden}, and the tolerances the
 * JVM core is held to (stated in {@code android/README.md}).
 *
 * <p>The folder is {@code -Dmujo.golden=DIR}, else {@code src/test/resources/golden} (Gradle's working directory is
 * the module). Arrays are {@code {"dtype", "shape", "b64"}} with little-endian bytes.
 */
final class Golden {
    private Golden() {
    }

    /** Samples on the uniform grid and windows at the model's rate (m/s², rad/s): |Δ| <= ATOL + RTOL·|expected|. */
    static final double WINDOW_ATOL = 1e-5;
    static final double WINDOW_RTOL = 1e-6;
    /** Batch polyphase resampling of unit signals (float32 values of order 1-10). */
    static final double RESAMPLE_ATOL = 1e-5;
    /** Device time of a window's last sample, s. */
    static final double TIME_ATOL = 1e-9;
    /** int8 model inputs recomputed end to end from the JVM's own windows may differ by one step where the
     * float32 window value sits within rounding of a quantization boundary. */
    static final int INT8_END_TO_END_STEPS = 1;

    static Path dir() {
        String p = System.getProperty("mujo.golden");
        return p != null ? Paths.get(p) : Paths.get("src", "test", "resources", "golden");
    }

    static Map<String, Object> load(String name) {
        Path f = dir().resolve(name);
        try {
            return Json.parseObject(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("golden file " + f.toAbsolutePath() + " is missing; run "
                    + "python -m mujo_edge.firmware_bridge.golden", e);
        }
    }

    static String text(String name) {
        try {
            return new String(Files.readAllBytes(dir().resolve(name)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Names of the golden files matching a prefix (sorted). */
    static List<String> files(String prefix) {
        List<String> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(dir())) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix) && n.endsWith(".json")).sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    static long lng(Object o) {
        return ((Number) o).longValue();
    }

    static int[] shape(Object arr) {
        List<Object> s = list(obj(arr).get("shape"));
        int[] out = new int[s.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = (int) lng(s.get(k));
        }
        return out;
    }

    static ByteBuffer bytes(Object arr) {
        return ByteBuffer.wrap(Base64.getDecoder().decode((String) obj(arr).get("b64"))).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] raw(String b64) {
        return Base64.getDecoder().decode(b64);
    }

    static byte[] hex(String h) {
        byte[] out = new byte[h.length() / 2];
        for (int k = 0; k < out.length; k++) {
            out[k] = (byte) Integer.parseInt(h.substring(2 * k, 2 * k + 2), 16);
        }
        return out;
    }

    static float[] f32(Object arr) {
        ByteBuffer b = bytes(arr);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    static double[] f64(Object arr) {
        ByteBuffer b = bytes(arr);
        double[] out = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(out);
        return out;
    }

    static long[] i64(Object arr) {
        ByteBuffer b = bytes(arr);
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    static byte[] i8(Object arr) {
        ByteBuffer b = bytes(arr);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** A float32 array of shape (rows, cols). */
    static float[][] f32x2(Object arr) {
        int[] s = shape(arr);
        float[] flat = f32(arr);
        int cols = s.length > 1 ? s[1] : 1;
        float[][] out = new float[s[0]][cols];
        for (int r = 0; r < s[0]; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }

    /** A float32 array of shape (n, rows, cols). */
    static float[][][] f32x3(Object arr) {
        int[] s = shape(arr);
        float[] flat = f32(arr);
        float[][][] out = new float[s[0]][s[1]][s[2]];
        for (int n = 0; n < s[0]; n++) {
            for (int r = 0; r < s[1]; r++) {
                System.arraycopy(flat, (n * s[1] + r) * s[2], out[n][r], 0, s[2]);
            }
        }
        return out;
    }

    static float[] flat(float[][] x) {
        int cols = x.length == 0 ? 0 : x[0].length;
        float[] out = new float[x.length * cols];
        for (int r = 0; r < x.length; r++) {
            System.arraycopy(x[r], 0, out, r * cols, cols);
        }
        return out;
    }

    /** Largest |Δ| seen by {@link #assertClose} per label (printed by the tests that report tolerances). */
    static final Map<String, Double> MAX_ERR = new java.util.TreeMap<>();

    /** Asserts |got − expected| <= atol + rtol·|expected| element-wise; records the largest deviation under {@code what}. */
    static void assertClose(String what, float[] expected, float[] got, double atol, double rtol) {
        if (expected.length != got.length) {
            fail(what + ": " + got.length + " values, expected " + expected.length);
        }
        double worst = 0;
        for (int k = 0; k < expected.length; k++) {
            double d = Math.abs((double) got[k] - expected[k]);
            worst = Math.max(worst, d);
            if (!(d <= atol + rtol * Math.abs(expected[k]))) {
                fail(what + ": value " + k + " is " + got[k] + ", expected " + expected[k] + " (|Δ| " + d + " > " + atol
                        + " + " + rtol + "·|x|)");
            }
        }
        MAX_ERR.merge(what.replaceAll("\\[.*", ""), worst, Math::max);
    }

    static void assertClose(String what, float[][] expected, float[][] got, double atol, double rtol) {
        if (expected.length != got.length) {
            fail(what + ": " + got.length + " rows, expected " + expected.length);
        }
        assertClose(what, flat(expected), flat(got), atol, rtol);
    }

    static void assertBitExact(String what, float[] expected, float[] got) {
        if (expected.length != got.length) {
            fail(what + ": " + got.length + " values, expected " + expected.length);
        }
        for (int k = 0; k < expected.length; k++) {
            if (Float.floatToIntBits(expected[k]) != Float.floatToIntBits(got[k]) && expected[k] != got[k]) {
                fail(what + ": value " + k + " is " + got[k] + ", expected exactly " + expected[k]);
            }
        }
    }

    /** Runs {@code r} and returns the exception of type {@code type} it throws; fails if it throws none. */
    static <T extends Throwable> T expectThrows(Class<T> type, Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", nothing was thrown");
    }
}
