package org.mujoedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Separately timed sensor event streams (a phone's accelerometer and gyroscope) merged onto one uniform grid, as
 * events arrive: the streaming twin of Python's {@code mujo_edge.data.sensor_events.merge_sensor_streams}.
 *
 * <p>Timestamps are integer ns on a clock the streams share (Android: {@code SensorEvent.timestamp}). Events whose
 * timestamp does not increase are dropped. The grid origin is the first instant every stream covers (the max of
 * the streams' first timestamps); grid point {@code k} is at {@code k / rateHz} s after it and is emitted once every
 * stream has an event at or after it, each stream interpolated linearly ({@code np.interp} arithmetic). Whatever
 * order the streams' events interleave in, the output is the batch function's.
 */
public final class SensorEventMerger {
    /** Grid rows that became ready: {@code t} seconds since the origin, {@code x (n, sum of widths)} float32. */
    public static final class Rows {
        public final double[] t;
        public final float[][] x;

        Rows(double[] t, float[][] x) {
            this.t = t;
            this.x = x;
        }
    }

    private final int[] widths;
    private final double rateHz;
    private final List<List<long[]>> pendingNs = new ArrayList<>();  // before the origin is known: {t_ns}
    private final List<List<float[]>> pendingX = new ArrayList<>();
    private final List<List<Double>> times = new ArrayList<>();  // after: seconds since origin
    private final List<List<float[]>> values = new ArrayList<>();
    private final long[] lastNs;
    private final boolean[] seen;
    private Long originNs;
    private long next;  // next grid index
    public long dropped;  // events whose timestamp did not increase

    public SensorEventMerger(int[] widths, double rateHz) {
        if (!(rateHz > 0 && Double.isFinite(rateHz))) {
            throw new SpecMismatchException("grid rate must be > 0 Hz, got " + rateHz);
        }
        this.widths = widths.clone();
        this.rateHz = rateHz;
        this.lastNs = new long[widths.length];
        this.seen = new boolean[widths.length];
        for (int s = 0; s < widths.length; s++) {
            pendingNs.add(new ArrayList<>());
            pendingX.add(new ArrayList<>());
            times.add(new ArrayList<>());
            values.add(new ArrayList<>());
        }
    }

    /** The grid origin (ns), once every stream has delivered an event; else null. */
    public Long originNs() {
        return originNs;
    }

    /** Grid rate, Hz. */
    public double rateHz() {
        return rateHz;
    }

    /** Adds one event of stream {@code stream}; returns the grid rows that became ready (possibly none). */
    public Rows push(int stream, long tNs, float[] v) {
        if (v.length != widths[stream]) {
            throw new SpecMismatchException("stream " + stream + " has " + widths[stream] + " values per event, got " + v.length);
        }
        if (seen[stream] && tNs <= lastNs[stream]) {
            dropped++;
            return new Rows(new double[0], new float[0][]);
        }
        seen[stream] = true;
        lastNs[stream] = tNs;
        if (originNs == null) {
            pendingNs.get(stream).add(new long[] {tNs});
            pendingX.get(stream).add(v.clone());
            for (boolean b : seen) {
                if (!b) {
                    return new Rows(new double[0], new float[0][]);
                }
            }
            long o = Long.MIN_VALUE;
            for (List<long[]> p : pendingNs) {
                o = Math.max(o, p.get(0)[0]);
            }
            originNs = o;
            for (int s = 0; s < widths.length; s++) {
                for (int k = 0; k < pendingNs.get(s).size(); k++) {
                    times.get(s).add((double) (pendingNs.get(s).get(k)[0] - originNs) / 1e9);
                    values.get(s).add(pendingX.get(s).get(k));
                }
                pendingNs.get(s).clear();
                pendingX.get(s).clear();
            }
        } else {
            times.get(stream).add((double) (tNs - originNs) / 1e9);
            values.get(stream).add(v.clone());
        }
        return emit();
    }

    private Rows emit() {
        double t1 = Double.POSITIVE_INFINITY;
        for (int s = 0; s < widths.length; s++) {
            List<Double> ts = times.get(s);
            t1 = Math.min(t1, ts.get(ts.size() - 1));
        }
        if (t1 < 0) {
            return new Rows(new double[0], new float[0][]);
        }
        long count = (long) Math.floor(t1 * rateHz + 1e-9) + 1;  // grid points the common span holds
        int n = (int) Math.max(0, count - next);
        int total = 0;
        for (int w : widths) {
            total += w;
        }
        double[] t = new double[n];
        float[][] x = new float[n][total];
        for (int k = 0; k < n; k++) {
            t[k] = 0.0 + (next + k) / rateHz;
        }
        int col = 0;
        for (int s = 0; s < widths.length; s++) {
            double[] ts = times.get(s).stream().mapToDouble(Double::doubleValue).toArray();
            float[][] xs = values.get(s).toArray(new float[0][]);
            for (int k = 0; k < n; k++) {
                for (int c = 0; c < widths[s]; c++) {
                    x[k][col + c] = (float) UniformGrid.interp(t[k], ts, xs, c, 0, ts.length);
                }
            }
            col += widths[s];
        }
        next += n;
        prune((next) / rateHz);
        return new Rows(t, x);
    }

    /** Forgets events no later grid point needs (keeps the last one at or before {@code tNext}). */
    private void prune(double tNext) {
        for (int s = 0; s < widths.length; s++) {
            List<Double> ts = times.get(s);
            int keepFrom = 0;
            while (keepFrom + 1 < ts.size() && ts.get(keepFrom + 1) <= tNext) {
                keepFrom++;
            }
            if (keepFrom > 0) {
                ts.subList(0, keepFrom).clear();
                values.get(s).subList(0, keepFrom).clear();
            }
        }
    }
}
