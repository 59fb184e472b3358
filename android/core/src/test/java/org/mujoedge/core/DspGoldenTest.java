package org.mujoedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Rate ratios, polyphase resampling, grid interpolation and sensor-event merging against {@code units.json}. */
public class DspGoldenTest {
    private final Map<String, Object> g = Golden.load("units.json");

    @Test
    public void rateRatiosMatchPythonsFractionLimitDenominator() {
        for (Object o : list(g.get("rate_ratio"))) {
            Map<String, Object> c = obj(o);
            double from = num(c.get("from_hz"));
            double to = num(c.get("to_hz"));
            if (c.get("ratio") == null) {
                SpecMismatchException e = Golden.expectThrows(SpecMismatchException.class, () -> Resampling.rateRatio(from, to));
                assertEquals(c.get("python_error"), e.getMessage());
            } else {
                List<Object> r = list(c.get("ratio"));
                assertArrayEquals(c.toString(), new int[] {(int) lng(r.get(0)), (int) lng(r.get(1))},
                        from == to ? new int[] {1, 1} : Resampling.rateRatio(from, to));
            }
        }
    }

    @Test
    public void batchResamplingMatchesScipyResamplePoly() {
        for (Object o : list(g.get("resample"))) {
            Map<String, Object> c = obj(o);
            float[][] y = Resampling.resample(Golden.f32x2(c.get("x")), num(c.get("from_hz")), num(c.get("to_hz")));
            Golden.assertClose("resample " + c.get("from_hz") + "->" + c.get("to_hz"), Golden.f32x2(c.get("y")), y,
                    Golden.RESAMPLE_ATOL, Golden.WINDOW_RTOL);
        }
    }

    @Test
    public void streamedResamplingEmitsWhatPythonsStreamResamplerEmits() {
        Map<String, Object> sr = obj(g.get("stream_resample"));
        float[][] x = Golden.f32x2(sr.get("x"));
        for (Object o : list(sr.get("cases"))) {
            Map<String, Object> c = obj(o);
            StreamResampler r = new StreamResampler(num(c.get("from_hz")), num(c.get("to_hz")));
            assertEquals(num(c.get("lookahead_s")), r.lookaheadS(), 0.0);
            List<float[]> out = new ArrayList<>();
            int i = 0;
            int k = 0;
            List<Object> emitted = list(c.get("emitted"));
            for (Object n : list(c.get("chunks"))) {
                float[][] y = r.push(Arrays.copyOfRange(x, i, i + (int) lng(n)));
                assertEquals("chunk " + k, lng(emitted.get(k++)), y.length);
                out.addAll(Arrays.asList(y));
                i += (int) lng(n);
            }
            Golden.assertClose("stream_resample " + c.get("from_hz"), Golden.f32x2(c.get("y")), out.toArray(new float[0][]),
                    Golden.RESAMPLE_ATOL, Golden.WINDOW_RTOL);
        }
    }

    @Test
    public void uniformGridInterpolationMatchesNumpy() {
        for (Object o : list(g.get("interpolate"))) {
            Map<String, Object> c = obj(o);
            Double t0 = c.get("t0") == null ? null : num(c.get("t0"));
            Double t1 = c.get("t1") == null ? null : num(c.get("t1"));
            UniformGrid.Result r = UniformGrid.interpolate(Golden.f64(c.get("t")), Golden.f32x2(c.get("x")),
                    num(c.get("rate_hz")), t0, t1);
            assertArrayEquals(Golden.f64(c.get("grid")), r.t, 0.0);
            Golden.assertBitExact("interpolate", Golden.f32(c.get("y")), Golden.flat(r.y));
        }
    }

    @Test
    public void sensorEventMergerMatchesTheBatchMergeInAnyInterleaving() {
        Map<String, Object> m = obj(g.get("sensor_merge"));
        long[] at = Golden.i64(m.get("acc_t_ns"));
        long[] gt = Golden.i64(m.get("gyro_t_ns"));
        float[][] av = Golden.f32x2(m.get("acc"));
        float[][] gv = Golden.f32x2(m.get("gyro"));
        float[] want = Golden.f32(m.get("merged"));
        double[] wantT = Golden.f64(m.get("t_s"));
        for (int order = 0; order < 3; order++) {
            SensorEventMerger merger = new SensorEventMerger(new int[] {3, 3}, num(m.get("rate_hz")));
            List<float[]> rows = new ArrayList<>();
            List<Double> ts = new ArrayList<>();
            int a = 0;
            int b = 0;
            while (a < at.length || b < gt.length) {  // 0: by time, 1: all acc first, 2: all gyro first
                boolean takeAcc = b >= gt.length || (a < at.length && (order == 1 || (order == 0 && at[a] <= gt[b])));
                SensorEventMerger.Rows r = takeAcc ? merger.push(0, at[a], av[a++]) : merger.push(1, gt[b], gv[b++]);
                rows.addAll(Arrays.asList(r.x));
                for (double t : r.t) {
                    ts.add(t);
                }
            }
            assertNotNull(merger.originNs());
            Golden.assertBitExact("merge order " + order, want, Golden.flat(rows.toArray(new float[0][])));
            assertArrayEquals(wantT, ts.stream().mapToDouble(Double::doubleValue).toArray(), 0.0);
            assertEquals(1, merger.dropped);  // the repeated acc timestamp
        }
    }
}
