package org.mujoedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link Resampling#resample} applied to a growing signal chunk by chunk (twin of Python's {@code StreamResampler}).
 *
 * <p>Output sample {@code j} is computed once its filter has {@code half = ceil(10·max(up, down)/up) + 1} input
 * samples of right context, from inputs starting at a multiple of {@code down}, so the streamed output equals
 * resampling the whole signal at once. That right context is the resampler's look-ahead.
 */
public final class StreamResampler {
    public final double fromHz;
    public final double toHz;
    public final boolean identity;
    public final int up;
    public final int down;
    public final int half;
    private final float[] h;
    private final int prePad;
    private final int preRemove;
    private final List<float[]> buf = new ArrayList<>();
    private long buf0;
    private long nIn;
    private long nextOut;

    public StreamResampler(double fromHz, double toHz) {
        this.fromHz = fromHz;
        this.toHz = toHz;
        this.identity = fromHz == toHz;
        int[] r = identity ? new int[] {1, 1} : Resampling.rateRatio(fromHz, toHz);
        up = r[0];
        down = r[1];
        half = identity ? 0 : (int) Math.ceil(10.0 * Math.max(up, down) / up) + 1;
        h = identity ? new float[0] : Resampling.filter(up, down);
        prePad = Resampling.prePad(up, down);
        preRemove = Resampling.preRemove(up, down);
    }

    /** Seconds of input the resampler waits for beyond an output sample. */
    public double lookaheadS() {
        return half / fromHz;
    }

    /** Adds {@code (n, C)} input samples; returns the {@code (m, C)} output samples that became computable. */
    public float[][] push(float[][] x) {
        if (identity) {
            return x;
        }
        for (float[] row : x) {
            buf.add(row);
        }
        nIn += x.length;
        long last = Math.floorDiv((nIn - 1 - half) * up, (long) down);  // newest output with full right context
        if (last < nextOut || x.length == 0) {
            return new float[0][];
        }
        long start = Math.max(0, Math.floorDiv(Math.floorDiv(nextOut * down, (long) up) - half, (long) down) * down);
        start = Math.max(start, buf0);
        start += Math.floorMod(-start, (long) down);  // the slice Python resamples starts at a multiple of down
        int channels = x[0].length;
        float[][] out = new float[(int) (last - nextOut + 1)][];
        final long lo = start;
        for (long j = nextOut; j <= last; j++) {
            out[(int) (j - nextOut)] = Resampling.output(j, i -> buf.get((int) (i - buf0)), lo, nIn, h, up, down, prePad,
                    preRemove, channels);
        }
        nextOut = last + 1;
        long keep = Math.max(0, Math.floorDiv(Math.floorDiv(nextOut * down, (long) up) - half - down, (long) down) * down);
        if (keep > buf0) {
            buf.subList(0, (int) (keep - buf0)).clear();
            buf0 = keep;
        }
        return out;
    }
}
