package org.mujoedge.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Polar PMD (Measurement Data) accelerometer stream, host side (twin of {@code mujo_edge.firmware_bridge.polar};
 * layout in {@code PROTOCOL.md} §8).
 *
 * <p>Control write {@code [op, measurement type, settings TLVs…]}; response {@code [0xF0, op, type, error, more,
 * TLVs…]}; data frame {@code [type, u64 ns of the LAST sample since 2000-01-01, frame type, payload]}: raw frames
 * carry 3 × int8/16/24 milli-g per sample, delta frames a reference sample then blocks of bit-packed deltas
 * (type 0x80: g × factor, 0x81: milli-g × factor; the factor comes from the START response).
 */
public final class PolarPmd {
    private PolarPmd() {
    }

    public static final String SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8";
    public static final String CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8";
    public static final String DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8";
    public static final int OP_GET_SETTINGS = 1;
    public static final int OP_START = 2;
    public static final int OP_STOP = 3;
    public static final int ACC = 2;
    public static final int SAMPLE_RATE = 0;
    public static final int RESOLUTION = 1;
    public static final int RANGE = 2;
    public static final int RANGE_MILLIUNIT = 3;
    public static final int CHANNELS = 4;
    public static final int FACTOR = 5;
    static final String[] SETTING_NAMES = {"SAMPLE_RATE", "RESOLUTION", "RANGE", "RANGE_MILLIUNIT", "CHANNELS", "FACTOR"};
    static final int[] SETTING_SIZE = {2, 2, 2, 4, 1, 4};
    static final String[] ERRORS = {"success", "invalid op code", "invalid measurement type", "not supported",
            "invalid length", "invalid parameter", "already in state", "invalid resolution", "invalid sample rate",
            "invalid range", "invalid MTU", "invalid number of channels", "invalid state", "device in charger"};
    /** Nanoseconds since 2000-01-01T00:00:00Z of Polar timestamps, as Unix ns. */
    public static final long POLAR_EPOCH_UNIX_NS = 946_684_800L * 1_000_000_000L;
    public static final double MILLI_G = MujoProtocol.STANDARD_GRAVITY / 1000.0;

    static String measurementName(int t) {
        switch (t) {
            case 0: return "ECG";
            case 1: return "PPG";
            case 2: return "ACC";
            case 3: return "PPI";
            case 5: return "GYRO";
            case 6: return "MAG";
            default: return "type " + t;
        }
    }

    // ------------------------------------------------------------------ control point
    /** TLV bytes of settings (factor as float32, the rest as little-endian integers). */
    public static byte[] encodeSettings(Map<Integer, double[]> settings) {
        List<Byte> out = new ArrayList<>();
        for (Map.Entry<Integer, double[]> e : settings.entrySet()) {
            int kind = e.getKey();
            out.add((byte) kind);
            out.add((byte) e.getValue().length);
            for (double v : e.getValue()) {
                long bits = kind == FACTOR ? Float.floatToIntBits((float) v) & 0xFFFFFFFFL : (long) v;
                for (int b = 0; b < SETTING_SIZE[kind]; b++) {
                    out.add((byte) (bits >> (8 * b)));
                }
            }
        }
        byte[] r = new byte[out.size()];
        for (int k = 0; k < r.length; k++) {
            r[k] = out.get(k);
        }
        return r;
    }

    /** Inverse of {@link #encodeSettings}; truncated or unknown TLVs throw. */
    public static Map<Integer, double[]> parseSettings(byte[] d, int off) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        int i = off;
        while (i < d.length) {
            if (i + 2 > d.length) {
                throw new ProtocolException("settings TLV truncated at byte " + (i - off) + " of " + (d.length - off));
            }
            int kind = d[i] & 0xFF;
            int n = d[i + 1] & 0xFF;
            if (kind >= SETTING_SIZE.length) {
                throw new ProtocolException("unknown PMD setting type " + kind + "; known: " + String.join(", ", SETTING_NAMES));
            }
            int size = SETTING_SIZE[kind];
            int end = i + 2 + n * size;
            if (end > d.length) {
                throw new ProtocolException("settings TLV type " + kind + " needs " + n * size + " bytes, "
                        + (d.length - i - 2) + " left");
            }
            double[] values = new double[n];
            for (int j = 0; j < n; j++) {
                long v = 0;
                for (int b = 0; b < size; b++) {
                    v |= (long) (d[i + 2 + j * size + b] & 0xFF) << (8 * b);
                }
                values[j] = kind == FACTOR ? Float.intBitsToFloat((int) v) : v;
            }
            out.put(kind, values);
            i = end;
        }
        return out;
    }

    /** Control write that starts the ACC stream. */
    public static byte[] startCommand(int rateHz, int rangeG, int resolution, int channels) {
        Map<Integer, double[]> s = new LinkedHashMap<>();
        s.put(SAMPLE_RATE, new double[] {rateHz});
        s.put(RESOLUTION, new double[] {resolution});
        s.put(RANGE, new double[] {rangeG});
        s.put(CHANNELS, new double[] {channels});
        byte[] tlv = encodeSettings(s);
        byte[] out = new byte[2 + tlv.length];
        out[0] = OP_START;
        out[1] = ACC;
        System.arraycopy(tlv, 0, out, 2, tlv.length);
        return out;
    }

    public static byte[] stopCommand() {
        return new byte[] {OP_STOP, ACC};
    }

    public static byte[] getSettingsCommand() {
        return new byte[] {OP_GET_SETTINGS, ACC};
    }

    /** A control point response (indication). */
    public static final class ControlResponse {
        public final int op;
        public final int measurement;
        public final int error;
        public final boolean more;
        public final Map<Integer, double[]> settings;

        private ControlResponse(int op, int measurement, int error, boolean more, Map<Integer, double[]> settings) {
            this.op = op;
            this.measurement = measurement;
            this.error = error;
            this.more = more;
            this.settings = settings;
        }

        /** Parses a response; the settings of successful GET_SETTINGS / START responses are decoded. */
        public static ControlResponse decode(byte[] d) {
            if (d.length < 5 || (d[0] & 0xFF) != 0xF0) {
                StringBuilder hex = new StringBuilder();
                for (int k = 0; k < Math.min(8, d.length); k++) {
                    hex.append(String.format("%02x", d[k] & 0xFF));
                }
                throw new ProtocolException("not a PMD control response: " + hex + " (" + d.length + " bytes)");
            }
            int op = d[1] & 0xFF;
            Map<Integer, double[]> s = d[3] == 0 && (op == OP_GET_SETTINGS || op == OP_START)
                    ? parseSettings(d, 5) : new LinkedHashMap<>();
            return new ControlResponse(op, d[2] & 0xFF, d[3] & 0xFF, d[4] != 0, s);
        }

        public boolean ok() {
            return error == 0;
        }

        public String errorName() {
            return error < ERRORS.length ? ERRORS[error] : "unknown error " + error;
        }

        /** {@code {factor, resolution}} the device applied, else the requested ones; factor 1.0 when neither says. */
        public double[] applied(Map<Integer, double[]> requested) {
            Map<Integer, double[]> merged = new LinkedHashMap<>(requested);
            merged.putAll(settings);
            double[] f = merged.get(FACTOR);
            double[] r = merged.get(RESOLUTION);
            double factor = f == null || f.length == 0 ? 1.0 : f[0];
            int resolution = r == null || r.length == 0 ? 16 : (int) r[0];
            if (!(Double.isFinite(factor) && factor > 0) || resolution < 1 || resolution > 32) {
                throw new ProtocolException("PMD start response has factor " + factor + " and resolution " + resolution
                        + " bits (factor > 0, resolution 1..32)");
            }
            return new double[] {factor, resolution};
        }
    }

    // ------------------------------------------------------------------ data frames
    static long signed(long v, int bits) {
        if (bits == 0) {
            return v;
        }
        long sign = 1L << (bits - 1);
        return (v ^ sign) - sign;
    }

    static long[][] deltaSamples(byte[] d, int off, int resolution) {
        int refBytes = (resolution + 7) / 8;
        int n = d.length - off;
        if (n < 3 * refBytes) {
            throw new ProtocolException("delta frame of " + n + " bytes lacks the " + 3 * refBytes + "-byte reference sample");
        }
        List<long[]> rows = new ArrayList<>();
        long[] ref = new long[3];
        for (int c = 0; c < 3; c++) {
            long v = 0;
            for (int b = 0; b < refBytes; b++) {
                v |= (long) (d[off + c * refBytes + b] & 0xFF) << (8 * b);
            }
            ref[c] = signed(v, resolution);
        }
        rows.add(ref);
        int i = 3 * refBytes;
        while (i < n) {
            if (i + 2 > n) {
                throw new ProtocolException("delta block header truncated at byte " + i + " of " + n);
            }
            int width = d[off + i] & 0xFF;
            int count = d[off + i + 1] & 0xFF;
            if (width > 32 || count == 0) {
                throw new ProtocolException("delta block with bit width " + width + " and " + count
                        + " samples (width 0-32, count ≥ 1)");
            }
            int nbytes = (width * count * 3 + 7) / 8;
            if (i + 2 + nbytes > n) {
                throw new ProtocolException("delta block needs " + nbytes + " bytes, " + (n - i - 2) + " left");
            }
            int base = (off + i + 2) * 8;
            long[] prev = rows.get(rows.size() - 1);
            for (int s = 0; s < count; s++) {
                long[] row = new long[3];
                for (int c = 0; c < 3; c++) {
                    long v = 0;
                    int first = base + (s * 3 + c) * width;
                    for (int b = 0; b < width; b++) {
                        int bit = first + b;
                        v |= (long) ((d[bit >> 3] >> (bit & 7)) & 1) << b;
                    }
                    row[c] = prev[c] + signed(v, width);
                }
                rows.add(row);
                prev = row;
            }
            i += 2 + nbytes;
        }
        return rows.toArray(new long[0][]);
    }

    /** Decodes one PMD ACC frame into m/s² samples; {@code factor} / {@code resolution} from the START response. */
    public static SampleBatch decodeFrame(byte[] d, double rateHz, double factor, int resolution) {
        if (d.length < 11) {
            throw new ProtocolException("PMD frame of " + d.length + " bytes is shorter than header + payload");
        }
        if ((d[0] & 0xFF) != ACC) {
            throw new ProtocolException("PMD measurement " + measurementName(d[0] & 0xFF) + " is not decoded; supported: ACC");
        }
        if (!(rateHz > 0) || resolution < 1 || resolution > 32) {
            throw new ProtocolException("PMD decoding needs rate > 0 and resolution 1..32 bits, got " + rateHz + ", " + resolution);
        }
        long tLastNs = 0;
        for (int b = 0; b < 8; b++) {
            tLastNs |= (long) (d[1 + b] & 0xFF) << (8 * b);
        }
        int ftype = d[9] & 0xFF;
        double[][] values;
        if ((ftype & 0x80) != 0) {
            int kind = ftype & 0x7F;
            if (kind != 0 && kind != 1) {
                throw new ProtocolException(String.format("compressed ACC frame type 0x%02x unknown; known: 0x80, 0x81", ftype));
            }
            long[][] raw = deltaSamples(d, 10, resolution);
            double mult = kind == 0 ? 1000.0 : 1.0;
            values = new double[raw.length][3];
            for (int s = 0; s < raw.length; s++) {
                for (int c = 0; c < 3; c++) {
                    values[s][c] = (double) raw[s][c] * factor * mult;
                }
            }
        } else {
            if (ftype > 2) {
                throw new ProtocolException("raw ACC frame type " + ftype + " unknown; known: [0, 1, 2]");
            }
            int width = ftype + 1;
            int n = d.length - 10;
            if (n % (3 * width) != 0) {
                throw new ProtocolException("raw ACC payload of " + n + " bytes is not a multiple of " + 3 * width);
            }
            values = new double[n / (3 * width)][3];
            for (int s = 0; s < values.length; s++) {
                for (int c = 0; c < 3; c++) {
                    long v = 0;
                    for (int b = 0; b < width; b++) {
                        v |= (long) (d[10 + (s * 3 + c) * width + b] & 0xFF) << (8 * b);
                    }
                    values[s][c] = signed(v, 8 * width);
                }
            }
        }
        double periodNs = 1e9 / rateHz;
        int n = values.length;
        double tFirstNs = (double) tLastNs - (n - 1) * periodNs;
        float[][] samples = new float[n][3];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < 3; c++) {
                samples[s][c] = (float) (values[s][c] * MILLI_G);
            }
        }
        return new SampleBatch((long) Math.rint(tFirstNs / 1000.0), periodNs / 1000.0, samples,
                SensorSpec.ACC_CHANNELS.clone(), -1, 0, 0, 0);
    }

    /** Decoder of a started PMD ACC stream (rate started, factor and resolution from the START response). */
    public static final class PolarDecoder implements Decoder {
        private final double rateHz;
        public final double factor;
        public final int resolution;

        public PolarDecoder(double rateHz, double factor, int resolution) {
            this.rateHz = rateHz;
            this.factor = factor;
            this.resolution = resolution;
        }

        @Override
        public double rateHz() {
            return rateHz;
        }

        @Override
        public String[] channels() {
            return SensorSpec.ACC_CHANNELS.clone();
        }

        @Override
        public SampleBatch decode(byte[] data) {
            return decodeFrame(data, rateHz, factor, resolution);
        }
    }
}
