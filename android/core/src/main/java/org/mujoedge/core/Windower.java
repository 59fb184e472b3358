package org.mujoedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts windows of {@code spec.window} samples every {@code spec.hop} samples from a growing signal at the model's rate
 * (the window step of Python's {@code StreamAssembler} / {@code sliding_windows}).
 */
public final class Windower {
    /** One model input in SI units: {@code x (window, C)}, the device time of its last sample, its stream segment. */
    public static final class Window {
        public final float[][] x;
        public final double tEndDeviceS;
        public final int segment;
        public final int index;

        public Window(float[][] x, double tEndDeviceS, int segment, int index) {
            this.x = x;
            this.tEndDeviceS = tEndDeviceS;
            this.segment = segment;
            this.index = index;
        }
    }

    private final int window;
    private final int hop;
    private final List<float[]> buf = new ArrayList<>();
    private long buf0;  // model-rate index of buf[0]
    private long nextStart;

    public Windower(int window, int hop) {
        this.window = window;
        this.hop = hop;
    }

    /** Model-rate index of the next window's first sample. */
    public long nextStart() {
        return nextStart;
    }

    /** Adds samples; returns the start index (model rate) of every window that became complete, with its samples. */
    public List<float[][]> push(float[][] y, List<Long> starts) {
        List<float[][]> out = new ArrayList<>();
        for (float[] row : y) {
            buf.add(row);
        }
        while (nextStart + window <= buf0 + buf.size()) {
            float[][] w = new float[window][];
            for (int t = 0; t < window; t++) {
                w[t] = buf.get((int) (nextStart - buf0 + t)).clone();
            }
            out.add(w);
            starts.add(nextStart);
            nextStart += hop;
        }
        long drop = Math.min(nextStart - buf0, buf.size());
        if (drop > 0) {
            buf.subList(0, (int) drop).clear();
            buf0 += drop;
        }
        return out;
    }
}
