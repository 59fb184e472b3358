package org.mujoedge.core;

import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Writes the project's recording CSV format ({@code mujo_edge.data.csvio}; what {@code mujo-edge live --record}
 * writes and {@code mujo-edge predict --input} reads), so phone recordings go back into mujo-edge:
 *
 * <pre>
 * # mujo-edge-recording v1
 * # rate_hz=100.0
 * # placement=wrist_left
 * # subject=me
 * # session=morning-walk
 * # dataset=android
 * t_s,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,label
 * 0.000000,0.12,9.79,0.33,0.01,-0.02,0,walking
 * </pre>
 *
 * {@code t_s} is seconds since the first row; channels in SI units (m/s², rad/s), 6 significant digits; an empty
 * label is NULL.
 */
public final class RecordingCsv implements AutoCloseable {
    public static final String MAGIC = "# mujo-edge-recording v1";
    private final Writer out;
    private final int channels;
    private Double t0;
    public long rows;

    public RecordingCsv(Writer out, double rateHz, String[] channels, String placement, String subject, String session,
                        String dataset) throws IOException {
        for (String c : channels) {
            if (SensorSpec.unitOf(c) == null) {
                throw new MujoException("unknown channel '" + c + "'; valid: " + String.join(", ", SensorSpec.KNOWN_CHANNELS));
            }
        }
        this.out = out;
        this.channels = channels.length;
        out.write(MAGIC + "\n");
        out.write("# rate_hz=" + pyRepr(rateHz) + "\n");
        out.write("# placement=" + oneLine(placement) + "\n");
        out.write("# subject=" + oneLine(subject) + "\n");
        out.write("# session=" + oneLine(session) + "\n");
        out.write("# dataset=" + oneLine(dataset) + "\n");
        out.write("t_s," + String.join(",", channels) + ",label\n");
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** Python's {@code repr} of a float for the rates we use (e.g. {@code 50.0}, {@code 104.3}). */
    static String pyRepr(double v) {
        String s = Double.toString(v);
        return s.contains("E") ? String.format(Locale.ROOT, "%s", new BigDecimal(s).toPlainString()) : s;
    }

    /** Python's {@code format(v, ".6g")}. */
    static String g6(double v) {
        if (v == 0) {
            return (1 / v < 0) ? "-0" : "0";
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
        }
        BigDecimal r = new BigDecimal(v).round(new MathContext(6, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        if (exp >= -4 && exp < 6) {
            String s = r.setScale(Math.max(0, 5 - exp), RoundingMode.HALF_EVEN).toPlainString();
            if (s.contains(".")) {
                s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
            }
            return s;
        }
        BigDecimal mant = r.movePointLeft(exp);
        String m = mant.setScale(5, RoundingMode.HALF_EVEN).toPlainString().replaceAll("0+$", "").replaceAll("\\.$", "");
        return m + (exp < 0 ? "e-" : "e+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
    }

    /** One sample at time {@code tS} (any clock; written relative to the first row), label null or "" for NULL. */
    public void row(double tS, float[] values, String label) throws IOException {
        if (values.length != channels) {
            throw new MujoException("row has " + values.length + " values for " + channels + " channels");
        }
        if (t0 == null) {
            t0 = tS;
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%.6f", tS - t0));
        for (float v : values) {
            b.append(',').append(g6(v));
        }
        String l = label == null ? "" : label;
        if (l.contains(",") || l.contains("\"") || l.contains("\n")) {
            l = "\"" + l.replace("\"", "\"\"") + "\"";
        }
        b.append(',').append(l).append('\n');
        out.write(b.toString());
        rows++;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
