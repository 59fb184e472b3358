package org.mujoedge.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The JSON sidecar next to an exported model ({@code dscnn_int8.pte.json}), as {@code mujo-edge export} writes it:
 * the sensor spec, label names and the model's tensor contract. The only description of a model the app reads.
 *
 * <p>Model input is the normalized window {@code (1, W, C)} ({@code x_norm = (x - mean) / std}, channels in
 * spec order), float32, or, where {@code input.dtype} is int8 / uint8,
 * {@code q = clip(round(x_norm / scale) + zero_point, qmin, qmax)} (round half to even, as numpy). Output is
 * {@code (1, K)} logits, float32 or dequantized as {@code (q - zero_point) * scale}.
 */
public final class Sidecar {
    public static final String FORMAT = "mujo-edge-export";
    public static final int FORMAT_VERSION = 2;
    static final String[] REQUIRED = {"format", "format_version", "file", "backend", "precision", "sha256",
            "sensor_spec", "label_names", "input", "output", "model"};

    /** One tensor of the contract: dtype and, for integer tensors, the affine quantization. */
    public static final class Tensor {
        public final long[] shape;
        public final String dtype;
        public final float scale;
        public final int zeroPoint;
        public final int qmin;
        public final int qmax;

        Tensor(long[] shape, String dtype, float scale, int zeroPoint, int qmin, int qmax) {
            this.shape = shape;
            this.dtype = dtype;
            this.scale = scale;
            this.zeroPoint = zeroPoint;
            this.qmin = qmin;
            this.qmax = qmax;
        }

        /** True for int8 / uint8 tensors. */
        public boolean quantized() {
            return !"float32".equals(dtype);
        }
    }

    public final String file;
    public final String backend;
    public final String precision;
    public final String sha256;
    public final SensorSpec spec;
    public final String[] labelNames;
    /** Channels the model was trained with (others may be zero-filled); default: every spec channel. */
    public final String[] channelsUsed;
    public final Tensor input;
    public final Tensor output;
    public final Map<String, Object> raw;

    private Sidecar(Map<String, Object> m) {
        String w = "sidecar";
        Object fmt = m.get("format");
        if (!FORMAT.equals(fmt)) {
            throw new SidecarException("format " + (fmt == null ? "None" : "'" + fmt + "'") + ", expected '" + FORMAT + "'");
        }
        Object version = m.get("format_version");
        if (!(version instanceof Long) || (Long) version < 1) {
            throw new SidecarException("format_version must be a positive integer, got " + version);
        }
        if ((Long) version > FORMAT_VERSION) {
            throw new SidecarException("format version " + version + " is newer than this app understands ("
                    + FORMAT_VERSION + "); update the app");
        }
        List<String> missing = new ArrayList<>();
        for (String k : REQUIRED) {
            if (!m.containsKey(k)) {
                missing.add("'" + k + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw new SidecarException("missing keys " + missing);
        }
        raw = m;
        spec = SensorSpec.fromJson(Json.obj(m, "sensor_spec", w));
        try {
            file = Json.str(m, "file", w);
            backend = Json.str(m, "backend", w);
            precision = Json.str(m, "precision", w);
            sha256 = Json.str(m, "sha256", w);
            labelNames = SensorSpec.strings(Json.list(m, "label_names", w));
            channelsUsed = m.get("channels_used") instanceof List
                    ? SensorSpec.strings(Json.list(m, "channels_used", w)) : spec.channels.clone();
            input = tensor(Json.obj(m, "input", w), "input");
            output = tensor(Json.obj(m, "output", w), "output");
        } catch (SidecarException e) {
            throw e;
        } catch (MujoException e) {
            throw new SidecarException(e.getMessage(), e);
        }
        if (labelNames.length == 0) {
            throw new SidecarException("label_names is empty");
        }
        long[] want = {1, spec.window, spec.channels.length};
        if (!Arrays.equals(input.shape, want)) {
            throw new SidecarException("input.shape " + Arrays.toString(input.shape) + " does not match one window of "
                    + "sensor_spec.window=" + spec.window + " samples x " + spec.channels.length + " channels: expected "
                    + Arrays.toString(want));
        }
        if (!Arrays.equals(output.shape, new long[] {1, labelNames.length})) {
            throw new SidecarException("output.shape " + Arrays.toString(output.shape) + " does not match one logit per "
                    + "label (" + labelNames.length + " label_names): expected [1, " + labelNames.length + "]");
        }
        for (String c : channelsUsed) {
            if (!Arrays.asList(spec.channels).contains(c)) {
                throw new SidecarException("channels_used names '" + c + "', not a spec channel " + Arrays.toString(spec.channels));
            }
        }
    }

    private static Tensor tensor(Map<String, Object> t, String where) {
        List<Object> s = Json.list(t, "shape", where);
        long[] shape = new long[s.size()];
        for (int j = 0; j < shape.length; j++) {
            if (!(s.get(j) instanceof Long)) {
                throw new SidecarException(where + ".shape must hold integers, got " + s);
            }
            shape[j] = (Long) s.get(j);
        }
        String dtype = Json.str(t, "dtype", where);
        switch (dtype) {
            case "float32":
                return new Tensor(shape, dtype, 1f, 0, 0, 0);
            case "int8":
            case "uint8":
                Object q = t.get("quantization");
                if (!(q instanceof Map)) {
                    throw new SidecarException(where + " is " + dtype + " but has no quantization (scale, zero_point)");
                }
                @SuppressWarnings("unchecked") Map<String, Object> qm = (Map<String, Object>) q;
                double scale = Json.num(qm, "scale", where + ".quantization");
                long zero = Json.integer(qm, "zero_point", where + ".quantization");
                int lo = "int8".equals(dtype) ? -128 : 0;
                int hi = "int8".equals(dtype) ? 127 : 255;
                if (!(scale > 0 && Double.isFinite(scale)) || zero < lo || zero > hi) {
                    throw new SidecarException(where + " quantization needs scale > 0 and zero_point in " + lo + ".." + hi
                            + ", got scale " + scale + ", zero_point " + zero);
                }
                return new Tensor(shape, dtype, (float) scale, (int) zero, lo, hi);
            default:
                throw new SidecarException(where + ".dtype must be float32, int8 or uint8 (what this app runs), got '" + dtype + "'");
        }
    }

    /** Parses and validates sidecar text; anything invalid throws {@link SidecarException} saying what. */
    public static Sidecar parse(String text) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(text);
        } catch (MujoException e) {
            throw new SidecarException("not a valid sidecar: " + e.getMessage(), e);
        }
        return new Sidecar(m);
    }

    /** Validates an already parsed sidecar object. */
    public static Sidecar fromJson(Map<String, Object> m) {
        return new Sidecar(m);
    }

    /**
     * Checks that a device streaming {@code deviceChannels} can feed this model (twin of Python's
     * {@code check_channels}): every channel the model uses must be streamed, unless {@code allowMissing} (then
     * missing channels are zero-filled, and the caller shows that).
     */
    public void checkDevice(String[] deviceChannels, boolean allowMissing) {
        List<String> dev = Arrays.asList(deviceChannels);
        List<String> needed = new ArrayList<>();
        for (String c : channelsUsed) {
            if (!dev.contains(c)) {
                needed.add(c);
            }
        }
        if (!needed.isEmpty() && !allowMissing) {
            throw new SpecMismatchException("the device streams " + dev + "; the model uses " + Arrays.asList(channelsUsed)
                    + ", missing " + needed + " (allow zero-filled channels explicitly to go on)");
        }
    }

    /** {@code clip(round(x / scale) + zero_point, qmin, qmax)} in float32 with round half to even (numpy's rule). */
    public static byte quantize(float x, float scale, int zeroPoint, int qmin, int qmax) {
        float q = (float) Math.rint(x / scale) + (float) zeroPoint;
        q = Math.max((float) qmin, Math.min((float) qmax, q));
        return (byte) (int) q;
    }

    /** The model input of one SI window {@code (W, C)}: normalized, then quantized when the input is int8 / uint8. */
    public ModelInput modelInput(float[][] windowSi) {
        float[][] z = spec.normalize(windowSi);
        int w = z.length;
        int c = spec.channels.length;
        if (!input.quantized()) {
            float[] f = new float[w * c];
            for (int t = 0; t < w; t++) {
                System.arraycopy(z[t], 0, f, t * c, c);
            }
            return new ModelInput(input.shape, f, null);
        }
        byte[] q = new byte[w * c];
        for (int t = 0; t < w; t++) {
            for (int k = 0; k < c; k++) {
                q[t * c + k] = quantize(z[t][k], input.scale, input.zeroPoint, input.qmin, input.qmax);
            }
        }
        return new ModelInput(input.shape, null, q);
    }

    /** Logits of raw output values: float32 as they are, integer outputs dequantized {@code (q - zp) * scale}. */
    public float[] logits(float[] floatOut, byte[] quantOut) {
        if (!output.quantized()) {
            return floatOut.clone();
        }
        float[] y = new float[quantOut.length];
        for (int k = 0; k < y.length; k++) {
            int v = "uint8".equals(output.dtype) ? (quantOut[k] & 0xFF) : quantOut[k];
            y[k] = ((float) v - output.zeroPoint) * output.scale;
        }
        return y;
    }

    /** Softmax of logits (computed in double, returned as float32 probabilities). */
    public static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int k = 0; k < e.length; k++) {
            e[k] = Math.exp(logits[k] - max);
            sum += e[k];
        }
        float[] p = new float[e.length];
        for (int k = 0; k < e.length; k++) {
            p[k] = (float) (e[k] / sum);
        }
        return p;
    }

    /** A model input tensor: {@code floats} for float32 models, {@code bytes} for int8 / uint8 ones. */
    public static final class ModelInput {
        public final long[] shape;
        public final float[] floats;
        public final byte[] bytes;

        ModelInput(long[] shape, float[] floats, byte[] bytes) {
            this.shape = shape.clone();
            this.floats = floats;
            this.bytes = bytes;
        }
    }
}
