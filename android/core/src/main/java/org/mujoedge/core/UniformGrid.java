package org.mujoedge.core;

/**
 * Linear interpolation of timed samples onto a uniform grid (twin of
 * {@code mujo_edge.data.preprocess.interpolate_uniform}, with numpy's {@code np.interp} arithmetic).
 */
public final class UniformGrid {
    private UniformGrid() {
    }

    /** The grid and its values: {@code t (N)} seconds, {@code y (N, C)} float32. */
    public static final class Result {
        public final double[] t;
        public final float[][] y;

        Result(double[] t, float[][] y) {
            this.t = t;
            this.y = y;
        }
    }

    /** numpy's {@code searchsorted(a[lo:hi], v, side)} + lo over a sorted range. */
    public static int searchSorted(double[] a, int lo, int hi, double v, boolean right) {
        int l = lo;
        int h = hi;
        while (l < h) {
            int mid = (l + h) >>> 1;
            if (right ? a[mid] <= v : a[mid] < v) {
                l = mid + 1;
            } else {
                h = mid;
            }
        }
        return l;
    }

    /**
     * {@code np.interp(x, xp[lo:hi], fp[lo:hi, c])} for one point: the left/right values outside, the sample at an
     * exact hit, else {@code slope · (x − xp[j]) + fp[j]} with {@code slope = (fp[j+1] − fp[j]) / (xp[j+1] − xp[j])}.
     */
    public static double interp(double x, double[] xp, float[][] fp, int c, int lo, int hi) {
        if (x < xp[lo]) {
            return fp[lo][c];
        }
        if (x > xp[hi - 1]) {
            return fp[hi - 1][c];
        }
        int j = searchSorted(xp, lo, hi, x, true) - 1;  // xp[j] <= x < xp[j + 1]
        if (j == hi - 1 || xp[j] == x) {
            return fp[j][c];
        }
        double y0 = fp[j][c];
        double y1 = fp[j + 1][c];
        double slope = (y1 - y0) / (xp[j + 1] - xp[j]);
        double v = slope * (x - xp[j]) + y0;
        if (Double.isNaN(v)) {
            v = slope * (x - xp[j + 1]) + y1;
            if (Double.isNaN(v) && y0 == y1) {
                v = y0;
            }
        }
        return v;
    }

    /**
     * Samples {@code x[lo:hi]} at strictly increasing times {@code t[lo:hi]} (s), interpolated onto
     * {@code t0 + k / rateHz} for {@code k = 0 .. floor((t1 − t0)·rateHz + 1e-9)}.
     */
    public static Result interpolate(double[] t, float[][] x, int lo, int hi, double rateHz, double t0, double t1) {
        if (hi - lo < 1) {
            throw new SpecMismatchException("need timed samples to interpolate");
        }
        for (int k = lo + 1; k < hi; k++) {
            if (t[k] <= t[k - 1]) {
                throw new SpecMismatchException("timestamps must be strictly increasing");
            }
        }
        int n = (int) Math.floor((t1 - t0) * rateHz + 1e-9) + 1;
        n = Math.max(n, 0);
        int channels = x[lo].length;
        double[] grid = new double[n];
        float[][] y = new float[n][channels];
        for (int k = 0; k < n; k++) {
            grid[k] = t0 + k / rateHz;
            for (int c = 0; c < channels; c++) {
                y[k][c] = (float) interp(grid[k], t, x, c, lo, hi);
            }
        }
        return new Result(grid, y);
    }

    /** The whole-array form: {@code interpolate_uniform(t, x, rate_hz, t0, t1)} (null bounds: first / last sample). */
    public static Result interpolate(double[] t, float[][] x, double rateHz, Double t0, Double t1) {
        if (t.length < 2) {
            throw new SpecMismatchException("need at least two timed samples to interpolate");
        }
        return interpolate(t, x, 0, t.length, rateHz, t0 == null ? t[0] : t0, t1 == null ? t[t.length - 1] : t1);
    }
}
