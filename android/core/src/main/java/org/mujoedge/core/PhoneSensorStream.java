package org.mujoedge.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The phone's own accelerometer (m/s², including gravity) and gyroscope (rad/s) events → windows at the model's
 * sensor spec: {@link SensorEventMerger} onto the plan's grid ({@link Resampling#plan} of the rate the app asked the
 * sensors for), {@link StreamResampler} to {@code spec.rateHz}, {@link Windower}.
 *
 * <p>A pause longer than {@code maxGapS} in either stream (the app was paused, the sensors were batched away)
 * starts a new segment, so no window spans it; the lost time is counted in {@link #lostS}.
 */
public final class PhoneSensorStream {
    public static final int ACC = 0;
    public static final int GYRO = 1;

    public final SensorSpec spec;
    public final Resampling.Plan plan;
    public final boolean useGyro;
    public final double maxGapS;
    public int segment = -1;
    public int windowsOut;
    public long events;
    public double lostS;
    private final long[] lastNs = {Long.MIN_VALUE, Long.MIN_VALUE};
    private GridSink gridSink;
    private SensorEventMerger merger;
    private StreamResampler resampler;
    private Windower windower;

    /**
     * @param requestedRateHz the rate the app asked SensorManager for (events arrive jittered around it)
     * @param required channels the model needs (its {@code channels_used}); gyro channels need {@code hasGyro}
     */
    public PhoneSensorStream(SensorSpec spec, String[] required, double requestedRateHz, boolean hasGyro, double maxGapS) {
        boolean needsGyro = false;
        for (String c : required) {
            needsGyro |= c.startsWith("gyro_");
        }
        if (needsGyro && !hasGyro) {
            throw new SpecMismatchException("the model uses the gyroscope but this phone has none (it streams acc_x, acc_y,"
                    + " acc_z only)");
        }
        this.spec = spec;
        this.useGyro = hasGyro && specHasGyro(spec);
        this.plan = Resampling.plan(requestedRateHz, spec.rateHz);
        this.maxGapS = maxGapS;
        newSegment();
    }

    /** Receives every merged grid row (sensor clock, s; values in spec channel order), e.g. for a recording CSV. */
    public interface GridSink {
        void accept(double tS, float[] row);
    }

    public void setGridSink(GridSink sink) {
        this.gridSink = sink;
    }

    private static boolean specHasGyro(SensorSpec spec) {
        for (String c : spec.channels) {
            if (c.startsWith("gyro_")) {
                return true;
            }
        }
        return false;
    }

    private void newSegment() {
        segment++;
        merger = new SensorEventMerger(useGyro ? new int[] {3, 3} : new int[] {3}, plan.gridHz);
        resampler = new StreamResampler(plan.gridHz, spec.rateHz);
        windower = new Windower(spec.window, spec.hop);
    }

    /** Delay the resampler adds, s. */
    public double lookaheadS() {
        return resampler.lookaheadS();
    }

    /**
     * One sensor event ({@link #ACC} or {@link #GYRO}, {@code SensorEvent.timestamp} ns, 3 values in SI units);
     * returns the windows that became complete.
     */
    public List<Windower.Window> onEvent(int sensor, long tNs, float[] xyz) {
        if (sensor == GYRO && !useGyro) {
            return new ArrayList<>();
        }
        events++;
        long prev = lastNs[sensor];
        if (prev != Long.MIN_VALUE && (tNs - prev) / 1e9 > maxGapS) {
            lostS += (tNs - prev) / 1e9;
            lastNs[0] = lastNs[1] = Long.MIN_VALUE;
            newSegment();
        }
        lastNs[sensor] = Math.max(tNs, lastNs[sensor]);
        SensorEventMerger.Rows rows = merger.push(sensor, tNs, xyz);
        if (rows.x.length == 0) {
            return new ArrayList<>();
        }
        float[][] grid = new float[rows.x.length][spec.channels.length];
        for (int k = 0; k < rows.x.length; k++) {
            for (int j = 0; j < spec.channels.length; j++) {  // spec order; channels the phone lacks stay zero
                int src = indexIn(spec.channels[j]);
                if (src >= 0 && src < rows.x[k].length) {
                    grid[k][j] = rows.x[k][src];
                }
            }
        }
        double origin = merger.originNs() / 1e9;
        if (gridSink != null) {
            for (int k = 0; k < grid.length; k++) {
                gridSink.accept(origin + rows.t[k], grid[k]);
            }
        }
        List<Long> starts = new ArrayList<>();
        List<float[][]> wins = windower.push(resampler.push(grid), starts);
        List<Windower.Window> out = new ArrayList<>();
        for (int k = 0; k < wins.size(); k++) {
            double tEnd = origin + (starts.get(k) + spec.window - 1) / spec.rateHz;
            out.add(new Windower.Window(wins.get(k), tEnd, segment, windowsOut++));
        }
        return out;
    }

    private static int indexIn(String channel) {
        for (int k = 0; k < SensorSpec.IMU_CHANNELS.length; k++) {
            if (SensorSpec.IMU_CHANNELS[k].equals(channel)) {
                return k;
            }
        }
        return -1;
    }
}
