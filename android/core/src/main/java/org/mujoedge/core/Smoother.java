package org.mujoedge.core;

/**
 * Exponential moving average of class probabilities and low-confidence NULL rejection (twin of
 * {@code LivePipeline._emit}): {@code s = a·p + (1 − a)·s_prev} in float32, reset at every stream segment; the label is
 * {@code argmax(s)} unless {@code max(s) < rejectBelow}, then NULL (null).
 */
public final class Smoother {
    /** One classified window. */
    public static final class Prediction {
        public final int index;
        public final int segment;
        /** Smoothed class name, or null (NULL) when {@code confidence < rejectBelow}. */
        public final String label;
        public final int top;
        public final float confidence;
        public final float[] probs;
        public final float[] smoothed;
        public final double inferenceS;

        Prediction(int index, int segment, String label, int top, float confidence, float[] probs, float[] smoothed,
                   double inferenceS) {
            this.index = index;
            this.segment = segment;
            this.label = label;
            this.top = top;
            this.confidence = confidence;
            this.probs = probs;
            this.smoothed = smoothed;
            this.inferenceS = inferenceS;
        }
    }

    public final double smoothing;
    public final double rejectBelow;
    private final String[] labels;
    private float[] prev;
    private int prevSegment;
    public long predictions;
    public long rejected;

    public Smoother(String[] labels, double smoothing, double rejectBelow) {
        if (!(smoothing > 0 && smoothing <= 1) || !(rejectBelow >= 0 && rejectBelow <= 1)) {
            throw new MujoException("smoothing must be in (0, 1] and reject_below in [0, 1], got " + smoothing + ", " + rejectBelow);
        }
        this.labels = labels.clone();
        this.smoothing = smoothing;
        this.rejectBelow = rejectBelow;
    }

    /** Smooths the probabilities {@code p (K)} of window {@code index} of stream segment {@code segment}. */
    public Prediction add(int index, int segment, float[] p, double inferenceS) {
        if (p.length != labels.length) {
            throw new SpecMismatchException("model gave " + p.length + " probabilities for " + labels.length + " labels");
        }
        float[] s;
        if (prev == null || prevSegment != segment) {
            s = p.clone();
        } else {
            float a = (float) smoothing;
            float b = (float) (1 - smoothing);
            s = new float[p.length];
            for (int k = 0; k < p.length; k++) {
                s[k] = a * p[k] + b * prev[k];
            }
        }
        prev = s;
        prevSegment = segment;
        int top = 0;
        for (int k = 1; k < s.length; k++) {
            if (s[k] > s[top]) {
                top = k;
            }
        }
        float conf = s[top];
        String label = conf >= rejectBelow ? labels[top] : null;
        predictions++;
        rejected += label == null ? 1 : 0;
        return new Prediction(index, segment, label, top, conf, p.clone(), s, inferenceS);
    }
}
