package org.mujoedge.core;

import java.math.BigInteger;

/**
 * Rate ratios, the resampling plan and the anti-aliasing polyphase filter of the one preprocessing path
 * (twin of {@code mujo_edge.data.preprocess.rate_ratio} / {@code resample}, i.e. scipy's
 * {@code resample_poly(x, up, down)}: Kaiser-windowed sinc FIR, beta 5.0, half length {@code 10·max(up, down)}
 * at the upsampled rate, zero-padded edges, output {@code ceil(T·up/down)} samples, float32 arithmetic).
 */
public final class Resampling {
    private Resampling() {
    }

    /** Largest up or down factor the device grid is resampled with before the plan falls back (see {@link #plan}). */
    public static final int MAX_FACTOR = 64;
    public static final double KAISER_BETA = 5.0;

    /**
     * {@code {up, down}} with {@code up / down == toHz / fromHz} within 1e-6 relative, from Python's
     * {@code Fraction(toHz / fromHz).limit_denominator(maxDenominator)}; no such pair throws.
     */
    public static int[] rateRatio(double fromHz, double toHz, int maxDenominator) {
        double target = toHz / fromHz;
        BigInteger[] f = limitDenominator(target, maxDenominator);
        double approx = f[0].doubleValue() / f[1].doubleValue();
        if (f[0].signum() == 0 || Math.abs(approx - target) > 1e-6 * toHz / fromHz) {
            throw new SpecMismatchException("cannot resample " + fromHz + " Hz to " + toHz
                    + " Hz with a rational factor (denominator <= " + maxDenominator + ")");
        }
        return new int[] {f[0].intValueExact(), f[1].intValueExact()};
    }

    public static int[] rateRatio(double fromHz, double toHz) {
        return rateRatio(fromHz, toHz, 1000);
    }

    /** Exact {@code numerator / denominator} of a finite positive double (Python's {@code float.as_integer_ratio}). */
    static BigInteger[] asIntegerRatio(double v) {
        long bits = Double.doubleToLongBits(v);
        int exp = (int) ((bits >> 52) & 0x7FF);
        long mant = bits & ((1L << 52) - 1);
        if (exp == 0) {
            exp = 1;
        } else {
            mant |= 1L << 52;
        }
        int e = exp - 1075;
        BigInteger num = BigInteger.valueOf(mant);
        BigInteger den = BigInteger.ONE;
        if (e > 0) {
            num = num.shiftLeft(e);
        } else {
            den = den.shiftLeft(-e);
        }
        BigInteger g = num.gcd(den);
        return g.signum() == 0 ? new BigInteger[] {num, den} : new BigInteger[] {num.divide(g), den.divide(g)};
    }

    /** Python's {@code Fraction(v).limit_denominator(maxDen)} (the closest fraction with a bounded denominator). */
    static BigInteger[] limitDenominator(double v, int maxDen) {
        BigInteger[] self = asIntegerRatio(v);
        BigInteger max = BigInteger.valueOf(maxDen);
        if (self[1].compareTo(max) <= 0) {
            return self;
        }
        BigInteger p0 = BigInteger.ZERO, q0 = BigInteger.ONE, p1 = BigInteger.ONE, q1 = BigInteger.ZERO;
        BigInteger n = self[0], d = self[1];
        while (true) {
            BigInteger a = n.divide(d);
            BigInteger q2 = q0.add(a.multiply(q1));
            if (q2.compareTo(max) > 0) {
                break;
            }
            BigInteger np1 = p0.add(a.multiply(p1));
            p0 = p1;
            q0 = q1;
            p1 = np1;
            q1 = q2;
            BigInteger nd = n.subtract(a.multiply(d));
            n = d;
            d = nd;
        }
        BigInteger k = max.subtract(q0).divide(q1);
        BigInteger b1n = p0.add(k.multiply(p1)), b1d = q0.add(k.multiply(q1));
        // |p1/q1 - self| <= |b1n/b1d - self|, compared exactly
        BigInteger e2 = p1.multiply(self[1]).subtract(self[0].multiply(q1)).abs().multiply(b1d);
        BigInteger e1 = b1n.multiply(self[1]).subtract(self[0].multiply(b1d)).abs().multiply(q1);
        BigInteger[] out = e2.compareTo(e1) <= 0 ? new BigInteger[] {p1, q1} : new BigInteger[] {b1n, b1d};
        BigInteger g = out[0].gcd(out[1]);
        return new BigInteger[] {out[0].divide(g), out[1].divide(g)};
    }

    /**
     * How a device stream reaches the model's rate: samples are interpolated onto a uniform grid at
     * {@code gridHz}, then resampled by {@code up / down} (identity when {@code gridHz == modelHz}).
     */
    public static final class Plan {
        public final double deviceHz;
        public final double modelHz;
        public final double gridHz;
        public final int up;
        public final int down;

        Plan(double deviceHz, double modelHz, double gridHz, int up, int down) {
            this.deviceHz = deviceHz;
            this.modelHz = modelHz;
            this.gridHz = gridHz;
            this.up = up;
            this.down = down;
        }

        public boolean identity() {
            return gridHz == modelHz;
        }

        @Override
        public String toString() {
            return deviceHz + " Hz -> grid " + gridHz + " Hz -> x" + up + "/" + down + " -> " + modelHz + " Hz";
        }
    }

    /**
     * The resampling plan: the grid is the device rate when {@link #rateRatio} gives {@code up, down <= 64};
     * otherwise (e.g. 104.3 Hz, whose exact ratio needs a huge filter) it is {@code modelHz · max(1, round(deviceHz /
     * modelHz))} and the polyphase step is {@code 1 / m}. Never another target rate than {@code modelHz}.
     */
    public static Plan plan(double deviceHz, double modelHz) {
        if (!(deviceHz > 0 && Double.isFinite(deviceHz)) || !(modelHz > 0 && Double.isFinite(modelHz))) {
            throw new SpecMismatchException("rates must be > 0 Hz, got device " + deviceHz + " Hz, model " + modelHz + " Hz");
        }
        if (deviceHz == modelHz) {
            return new Plan(deviceHz, modelHz, deviceHz, 1, 1);
        }
        try {
            int[] r = rateRatio(deviceHz, modelHz);
            if (r[0] <= MAX_FACTOR && r[1] <= MAX_FACTOR) {
                return new Plan(deviceHz, modelHz, deviceHz, r[0], r[1]);
            }
        } catch (SpecMismatchException noSmallRatio) {
            // fall through to the integer-multiple grid
        }
        long m = Math.max(1L, (long) Math.rint(deviceHz / modelHz));
        return new Plan(deviceHz, modelHz, modelHz * m, 1, (int) m);
    }

    // ------------------------------------------------------------------ filter design
    /** Modified Bessel function of the first kind, order 0 (power series; exact to double rounding for x <= 20). */
    static double besselI0(double x) {
        double q = x * x / 4.0;
        double term = 1.0;
        double sum = 1.0;
        for (int k = 1; k < 500; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return sum;
    }

    /** numpy's pairwise summation of a contiguous float64 array (what {@code np.sum} returns). */
    static double pairwiseSum(double[] a, int off, int n) {
        if (n < 8) {
            double r = 0.0;
            for (int k = 0; k < n; k++) {
                r += a[off + k];
            }
            return r;
        }
        if (n <= 128) {
            double[] r = new double[8];
            System.arraycopy(a, off, r, 0, 8);
            int k = 8;
            for (; k < n - (n % 8); k += 8) {
                for (int j = 0; j < 8; j++) {
                    r[j] += a[off + k + j];
                }
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; k < n; k++) {
                res += a[off + k];
            }
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
    }

    /**
     * The polyphase filter of {@code resample_poly(x, up, down)}: {@code firwin(2·half+1, 1/max(up, down),
     * window=('kaiser', 5.0))} in float64, cast to float32, times {@code up}; {@code half = 10·max(up, down)}.
     */
    public static float[] filter(int up, int down) {
        int maxRate = Math.max(up, down);
        double fc = 1.0 / maxRate;
        int half = 10 * maxRate;
        int numtaps = 2 * half + 1;
        double alpha = 0.5 * (numtaps - 1);
        double i0beta = besselI0(KAISER_BETA);
        double[] h = new double[numtaps];
        for (int k = 0; k < numtaps; k++) {
            double m = k - alpha;
            double x = fc * m;
            double y = Math.PI * (x != 0 ? x : Math.ulp(1.0));
            h[k] = fc * (Math.sin(y) / y);
            double r = (k - alpha) / alpha;
            h[k] *= besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0beta;
        }
        double s = pairwiseSum(h, 0, numtaps);
        float[] out = new float[numtaps];
        for (int k = 0; k < numtaps; k++) {
            out[k] = (float) (h[k] / s) * (float) up;
        }
        return out;
    }

    /** Zero taps scipy puts before the filter so output samples sit at its center. */
    static int prePad(int up, int down) {
        int half = 10 * Math.max(up, down);
        return down - half % down;
    }

    /** Output samples scipy drops from the start of the full convolution. */
    static int preRemove(int up, int down) {
        int half = 10 * Math.max(up, down);
        return (half + prePad(up, down)) / down;
    }

    /**
     * Output sample {@code j} of {@code resample_poly} over inputs {@code x[i]} for global indices {@code lo <= i < hi}
     * ({@code x.get(i)} gives the row): {@code sum_i x[i] · h[(j + preRemove)·down − i·up − prePad]}, accumulated in
     * float32 in increasing {@code i} as scipy's upfirdn does. Inputs outside [lo, hi) count as zero (padding).
     */
    static float[] output(long j, Rows x, long lo, long hi, float[] h, int up, int down, int prePad, int preRemove,
                          int channels) {
        long pos = (j + preRemove) * (long) down - prePad;  // index into h of input i = 0
        long iMin = Math.max(lo, Math.floorDiv(pos - (h.length - 1) + up - 1, up));
        long iMax = Math.min(hi - 1, Math.floorDiv(pos, up));
        float[] acc = new float[channels];
        for (long i = iMin; i <= iMax; i++) {
            float[] row = x.get(i);
            float tap = h[(int) (pos - i * up)];
            for (int c = 0; c < channels; c++) {
                acc[c] = acc[c] + row[c] * tap;
            }
        }
        return acc;
    }

    /** Rows addressed by global index. */
    interface Rows {
        float[] get(long i);
    }

    /** {@code resample(x, fromHz, toHz)} of a whole signal {@code (T, C)}: {@code ceil(T·up/down)} rows. */
    public static float[][] resample(float[][] x, double fromHz, double toHz) {
        if (fromHz == toHz) {
            float[][] out = new float[x.length][];
            for (int t = 0; t < x.length; t++) {
                out[t] = x[t].clone();
            }
            return out;
        }
        int[] r = rateRatio(fromHz, toHz);
        int up = r[0];
        int down = r[1];
        float[] h = filter(up, down);
        int channels = x.length == 0 ? 0 : x[0].length;
        long nOut = ((long) x.length * up + down - 1) / down;
        float[][] y = new float[(int) nOut][];
        for (long j = 0; j < nOut; j++) {
            y[(int) j] = output(j, i -> x[(int) i], 0, x.length, h, up, down, prePad(up, down), preRemove(up, down),
                    channels);
        }
        return y;
    }
}
