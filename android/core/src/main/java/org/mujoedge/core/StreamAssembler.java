package org.mujoedge.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In-order batches of timed device samples → windows at the model's sensor spec (twin of Python's
 * {@code StreamAssembler}).
 *
 * <ol>
 * <li>each sample's device time = first-sample timestamp + a running estimate of the true sample period;</li>
 * <li>gaps found from the timestamps: up to {@code maxGapS} they are bridged by the interpolation, longer ones split
 * the stream (a new segment; no window spans them);</li>
 * <li>samples are interpolated onto a uniform grid at the plan's grid rate ({@link Resampling#plan});</li>
 * <li>the grid is resampled to {@code spec.rateHz} by the polyphase filter ({@link StreamResampler});</li>
 * <li>windows of {@code spec.window} samples every {@code spec.hop}, channels in spec order (missing ones zero).</li>
 * </ol>
 */
public final class StreamAssembler {
    /** A hole found from device timestamps, s (device clock). */
    public static final class Gap {
        public final double startDeviceS;
        public final double endDeviceS;
        public final long lostSamples;
        public final boolean split;

        Gap(double startDeviceS, double endDeviceS, long lostSamples, boolean split) {
            this.startDeviceS = startDeviceS;
            this.endDeviceS = endDeviceS;
            this.lostSamples = lostSamples;
            this.split = split;
        }

        public double durationS() {
            return endDeviceS - startDeviceS;
        }
    }

    public final SensorSpec spec;
    public final String[] channels;
    public final double deviceRateHz;
    public final double maxGapS;
    public final Resampling.Plan plan;
    private final int[] index;
    private double periodS;
    public long samplesIn;
    public long samplesLost;
    public long samplesOverlap;
    public int segment = -1;
    public int windowsOut;
    private Double lastT;
    private Double origin;
    private double firstOfLast;
    private int nLast;
    // per segment
    private StreamResampler resampler;
    private double[] rawT = new double[0];
    private float[][] rawX = new float[0][];
    private Double gridT0;
    private long gridNext;
    private Windower windower;

    /**
     * @param allowMissing zero-fill spec channels the device does not stream (else {@link SpecMismatchException})
     * @param required channels that must be streamed (the model's {@code channels_used}; null: all spec channels)
     */
    public StreamAssembler(SensorSpec spec, double deviceRateHz, String[] channels, double maxGapS, boolean allowMissing,
                           String[] required) {
        String[] need = required == null ? spec.channels : required;
        List<String> missing = new ArrayList<>();
        for (String c : need) {
            if (!Arrays.asList(channels).contains(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty() && !allowMissing) {
            throw new SpecMismatchException("the device streams " + Arrays.toString(channels) + "; the model uses "
                    + Arrays.toString(need) + ", missing " + missing + " (allow zero-filled channels explicitly to go on)");
        }
        this.spec = spec;
        this.channels = channels.clone();
        this.deviceRateHz = deviceRateHz;
        this.maxGapS = maxGapS;
        this.plan = Resampling.plan(deviceRateHz, spec.rateHz);
        this.index = new int[spec.channels.length];
        for (int j = 0; j < index.length; j++) {
            index[j] = Arrays.asList(channels).indexOf(spec.channels[j]);
        }
        this.periodS = 1.0 / deviceRateHz;
        newSegment();
    }

    /** Delay the resampler adds between a sample and its output, s. */
    public double lookaheadS() {
        return resampler.lookaheadS();
    }

    /** The device's rate measured on its own clock (from packet timestamps), Hz. */
    public double measuredRateHz() {
        return 1.0 / periodS;
    }

    private void newSegment() {
        segment++;
        resampler = new StreamResampler(plan.gridHz, spec.rateHz);
        rawT = new double[0];
        rawX = new float[0][];
        gridT0 = null;
        gridNext = 0;
        windower = new Windower(spec.window, spec.hop);
    }

    /** Adds samples {@code x (n, C_device)} whose first sample was taken at device time {@code tFirstS}. */
    public List<Windower.Window> add(double tFirstS, float[][] x, List<Gap> gaps) {
        int n = x.length;
        if (n == 0) {
            return new ArrayList<>();
        }
        if (origin == null) {
            origin = tFirstS;
        }
        tFirstS = tFirstS - origin;
        double nominal = 1.0 / deviceRateHz;
        if (lastT != null) {
            double expected = lastT + periodS;
            if (Math.abs(tFirstS - expected) < 0.5 * nominal) {  // contiguous: refine the period estimate
                double observed = (tFirstS - firstOfLast) / nLast;
                if (Math.abs(observed - nominal) < 0.1 * nominal) {
                    periodS += 0.05 * (observed - periodS);
                }
            } else if (tFirstS > expected) {
                long lost = Math.max(1, (long) Math.rint((tFirstS - lastT) / periodS) - 1);
                boolean split = tFirstS - lastT > maxGapS;
                samplesLost += lost;
                gaps.add(new Gap(origin + lastT + periodS, origin + tFirstS, lost, split));
                if (split) {
                    newSegment();
                }
            } else if (tFirstS < lastT - maxGapS) {  // clock went back: device restarted
                gaps.add(new Gap(origin + tFirstS, origin + tFirstS, 0, true));
                newSegment();
            }
        }
        firstOfLast = tFirstS;
        nLast = n;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = tFirstS + i * periodS;
        }
        int keep0 = 0;
        if (rawT.length > 0) {  // drop samples not after the newest one of this segment
            double newest = rawT[rawT.length - 1] + 1e-9;
            while (keep0 < n && !(t[keep0] > newest)) {
                keep0++;
            }
            samplesOverlap += keep0;
        }
        samplesIn += n;
        if (keep0 < n) {
            lastT = t[n - 1];
        }
        int m = n - keep0;
        double[] tk = Arrays.copyOfRange(t, keep0, n);
        float[][] sel = new float[m][spec.channels.length];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < index.length; j++) {
                if (index[j] >= 0) {
                    sel[i][j] = x[keep0 + i][index[j]];
                }
            }
        }
        return regrid(tk, sel);
    }

    private List<Windower.Window> regrid(double[] t, float[][] x) {
        double[] nt = Arrays.copyOf(rawT, rawT.length + t.length);
        System.arraycopy(t, 0, nt, rawT.length, t.length);
        float[][] nx = Arrays.copyOf(rawX, rawX.length + x.length);
        System.arraycopy(x, 0, nx, rawX.length, x.length);
        rawT = nt;
        rawX = nx;
        if (gridT0 == null && rawT.length > 0) {
            gridT0 = rawT[0];
        }
        if (rawT.length < 2) {
            return new ArrayList<>();
        }
        double rate = plan.gridHz;
        double g0 = gridT0 + gridNext / rate;
        double tLast = rawT[rawT.length - 1];
        if (g0 > tLast + 1e-9) {
            return new ArrayList<>();
        }
        // keep one raw sample at or before g0 so the interpolation has left support
        int first = Math.max(0, UniformGrid.searchSorted(rawT, 0, rawT.length, g0 + 1e-9, true) - 1);
        UniformGrid.Result g = UniformGrid.interpolate(rawT, rawX, first, rawT.length, rate, g0, tLast);
        gridNext += g.t.length;
        double nxt = gridT0 + gridNext / rate;
        int cut = Math.max(0, UniformGrid.searchSorted(rawT, 0, rawT.length, nxt, true) - 1);
        rawT = Arrays.copyOfRange(rawT, cut, rawT.length);
        rawX = Arrays.copyOfRange(rawX, cut, rawX.length);
        return windows(resampler.push(g.y));
    }

    private List<Windower.Window> windows(float[][] y) {
        List<Long> starts = new ArrayList<>();
        List<float[][]> wins = windower.push(y, starts);
        List<Windower.Window> out = new ArrayList<>();
        for (int k = 0; k < wins.size(); k++) {
            long end = starts.get(k) + spec.window - 1;
            out.add(new Windower.Window(wins.get(k), origin + gridT0 + end / spec.rateHz, segment, windowsOut));
            windowsOut++;
        }
        return out;
    }
}
