package org.mujoedge.core;

/**
 * One decoded notification or frame (twin of Python's {@code SampleBatch}).
 *
 * <p>{@code samples} is {@code (n, C)} float32 in SI units (m/s², rad/s), channels in {@code channels} order; sample
 * {@code i} was measured at device time {@code tFirstUs + i * periodUs} µs. {@code seq} is -1 for sources without
 * sequence numbers (Polar PMD). {@code tFirstUs} wraps at {@code timeModulo} (0: never) until unwrapped.
 */
public final class SampleBatch {
    public final long tFirstUs;
    public final double periodUs;
    public final float[][] samples;
    public final String[] channels;
    public final int seq;
    public final long seqModulo;
    public final long timeModulo;
    public final int saturated;

    public SampleBatch(long tFirstUs, double periodUs, float[][] samples, String[] channels, int seq, long seqModulo,
                       long timeModulo, int saturated) {
        this.tFirstUs = tFirstUs;
        this.periodUs = periodUs;
        this.samples = samples;
        this.channels = channels;
        this.seq = seq;
        this.seqModulo = seqModulo;
        this.timeModulo = timeModulo;
        this.saturated = saturated;
    }

    /** Number of samples n. */
    public int count() {
        return samples.length;
    }

    /** True when the source numbers its packets. */
    public boolean hasSeq() {
        return seq >= 0;
    }

    /** A copy with another (unwrapped) first-sample time. */
    public SampleBatch withTFirstUs(long t) {
        return new SampleBatch(t, periodUs, samples, channels, seq, seqModulo, timeModulo, saturated);
    }
}
