package org.mujoedge.core;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a model consumes (twin of Python's {@code SensorSpec}): sample rate (Hz), window and hop (samples), channel
 * names and order, their SI units, placement and the per-channel normalization {@code (x - mean) / std}.
 *
 * <p>Read from a sidecar's {@code sensor_spec}; validated exactly as Python validates it, so a sidecar the desktop
 * refuses is refused here too. Windows are {@code float[window][channels]} in SI units (m/s², rad/s).
 */
public final class SensorSpec {
    /** Channel names the project knows, with their SI unit. */
    public static final String[] KNOWN_CHANNELS = {"acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"};
    public static final String[] IMU_CHANNELS = KNOWN_CHANNELS;
    public static final String[] ACC_CHANNELS = {"acc_x", "acc_y", "acc_z"};
    private static final Set<String> FIELDS = new HashSet<>(Arrays.asList(
            "rate_hz", "window", "hop", "channels", "units", "placement", "purity", "normalization"));

    public final double rateHz;
    public final int window;
    public final int hop;
    public final String[] channels;
    public final String[] units;
    public final String placement;
    public final double purity;
    /** "none" or "standard". */
    public final String normalizationKind;
    public final float[] mean;
    public final float[] std;

    public SensorSpec(double rateHz, int window, int hop, String[] channels, String[] units, String placement,
                      double purity, String normalizationKind, double[] mean, double[] std) {
        if (!(Double.isFinite(rateHz) && rateHz > 0)) {
            throw new SidecarException("rate_hz must be > 0, got " + rateHz);
        }
        if (window < 2 || hop < 1) {
            throw new SidecarException("window must be >= 2 and hop >= 1 samples, got window=" + window + " hop=" + hop);
        }
        if (channels.length == 0 || new HashSet<>(Arrays.asList(channels)).size() != channels.length) {
            throw new SidecarException("channels must be a non-empty list without repeats, got " + Arrays.toString(channels));
        }
        for (String c : channels) {
            if (unitOf(c) == null) {
                throw new SidecarException("unknown channel '" + c + "'; valid channels: " + String.join(", ", KNOWN_CHANNELS));
            }
        }
        if (units == null) {
            units = new String[channels.length];
            for (int j = 0; j < channels.length; j++) {
                units[j] = unitOf(channels[j]);
            }
        }
        if (units.length != channels.length) {
            throw new SidecarException(units.length + " units for " + channels.length + " channels");
        }
        for (int j = 0; j < channels.length; j++) {
            if (!unitOf(channels[j]).equals(units[j])) {
                throw new SidecarException("channel '" + channels[j] + "' must be in '" + unitOf(channels[j]) + "', got '"
                        + units[j] + "'");
            }
        }
        if (!(purity > 0.0 && purity <= 1.0)) {
            throw new SidecarException("purity must be in (0, 1], got " + purity);
        }
        if ("standard".equals(normalizationKind)) {
            if (mean == null || std == null || mean.length != std.length || mean.length == 0) {
                throw new SidecarException("standard normalization needs equal-length mean/std, got "
                        + (mean == null ? 0 : mean.length) + "/" + (std == null ? 0 : std.length));
            }
            for (double s : std) {
                if (!(s > 0 && Double.isFinite(s))) {
                    StringBuilder t = new StringBuilder("(");
                    for (int k = 0; k < std.length; k++) {
                        t.append(k > 0 ? ", " : "").append(std[k]);
                    }
                    throw new SidecarException("normalization std must be finite and > 0, got " + t + ")");
                }
            }
            if (mean.length != channels.length) {
                throw new SidecarException("normalization has " + mean.length + " channels, spec has " + channels.length);
            }
        } else if ("none".equals(normalizationKind)) {
            if ((mean != null && mean.length > 0) || (std != null && std.length > 0)) {
                throw new SidecarException("normalization kind 'none' takes no mean/std");
            }
        } else {
            throw new SidecarException("unknown normalization kind '" + normalizationKind + "'; valid: none, standard");
        }
        this.rateHz = rateHz;
        this.window = window;
        this.hop = hop;
        this.channels = channels.clone();
        this.units = units.clone();
        this.placement = placement;
        this.purity = purity;
        this.normalizationKind = normalizationKind;
        this.mean = toFloat(mean);
        this.std = toFloat(std);
    }

    /** The SI unit of a known channel, or null. */
    public static String unitOf(String channel) {
        if (channel.startsWith("acc_") && Arrays.asList(KNOWN_CHANNELS).contains(channel)) {
            return "m/s^2";
        }
        if (channel.startsWith("gyro_") && Arrays.asList(KNOWN_CHANNELS).contains(channel)) {
            return "rad/s";
        }
        return null;
    }

    private static float[] toFloat(double[] v) {
        if (v == null) {
            return new float[0];
        }
        float[] f = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            f[j] = (float) v[j];
        }
        return f;
    }

    /** Parses the {@code sensor_spec} object of a sidecar (the form Python's {@code SensorSpec.to_dict} writes). */
    public static SensorSpec fromJson(Map<String, Object> d) {
        String w = "sensor_spec";
        for (String k : d.keySet()) {
            if (!FIELDS.contains(k)) {
                throw new SidecarException("sensor_spec has unknown key '" + k + "'; valid: " + FIELDS);
            }
        }
        try {
            String[] channels = strings(Json.list(d, "channels", w));
            String[] units = d.containsKey("units") ? strings(Json.list(d, "units", w)) : null;
            String kind = "none";
            double[] mean = null;
            double[] std = null;
            if (d.containsKey("normalization") && d.get("normalization") != null) {
                Map<String, Object> n = Json.obj(d, "normalization", w);
                kind = Json.str(n, "kind", w + ".normalization");
                mean = n.containsKey("mean") ? numbers(Json.list(n, "mean", w)) : null;
                std = n.containsKey("std") ? numbers(Json.list(n, "std", w)) : null;
            }
            return new SensorSpec(Json.num(d, "rate_hz", w), (int) Json.integer(d, "window", w),
                    (int) Json.integer(d, "hop", w), channels, units,
                    d.containsKey("placement") ? Json.str(d, "placement", w) : "any",
                    d.containsKey("purity") ? Json.num(d, "purity", w) : 0.8, kind, mean, std);
        } catch (SidecarException e) {
            throw e;
        } catch (MujoException e) {
            throw new SidecarException("invalid sensor_spec (" + e.getMessage() + ")", e);
        }
    }

    static String[] strings(List<Object> l) {
        String[] out = new String[l.size()];
        for (int j = 0; j < out.length; j++) {
            if (!(l.get(j) instanceof String)) {
                throw new MujoException("expected strings, got " + l.get(j));
            }
            out[j] = (String) l.get(j);
        }
        return out;
    }

    static double[] numbers(List<Object> l) {
        double[] out = new double[l.size()];
        for (int j = 0; j < out.length; j++) {
            if (!(l.get(j) instanceof Number)) {
                throw new MujoException("expected numbers, got " + l.get(j));
            }
            out[j] = ((Number) l.get(j)).doubleValue();
        }
        return out;
    }

    /** Window length in seconds. */
    public double windowSeconds() {
        return window / rateHz;
    }

    /**
     * Normalizes one window {@code (W, C)} in SI units: {@code (x - mean) / std} per channel in float32 arithmetic
     * (as numpy does), returned as a new array; kind "none" returns a copy.
     */
    public float[][] normalize(float[][] x) {
        float[][] out = new float[x.length][];
        for (int t = 0; t < x.length; t++) {
            if (x[t].length != channels.length) {
                throw new SpecMismatchException("data has " + x[t].length + " channels, spec expects " + channels.length
                        + ": " + Arrays.toString(channels));
            }
            out[t] = x[t].clone();
            if ("standard".equals(normalizationKind)) {
                for (int c = 0; c < channels.length; c++) {
                    out[t][c] = (x[t][c] - mean[c]) / std[c];
                }
            }
        }
        return out;
    }
}
