package org.mujoedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Whole streams: the golden {@code stream_*.json} cases (a real recording through our protocol at 50 / 100 / 200 /
 * 52 / 104.3 Hz, fault injection, Polar raw and delta frames, phone sensor events) replayed through the JVM core and
 * compared with what Python's {@code LivePipeline} produced: decoded samples, windows, model inputs, counts,
 * smoothed probabilities and NULL decisions.
 */
public class StreamGoldenTest {
    static final List<String> CASES = Arrays.asList("mujo_faults_100hz", "mujo_imu6_100hz", "mujo_imu6_104p3hz",
            "mujo_imu6_200hz", "mujo_imu6_50hz", "mujo_imu6_52hz_drift", "phone_events_100hz", "polar_delta_52hz", "polar_raw_100hz");

    @Test
    public void everyGoldenStreamHasATest() {
        List<String> files = new ArrayList<>();
        for (String f : Golden.files("stream_")) {
            files.add(f.substring("stream_".length(), f.length() - ".json".length()));
        }
        assertEquals(CASES, files);
    }

    @Test
    public void mujo50Hz() {
        replay("mujo_imu6_50hz");
    }

    @Test
    public void mujo100Hz() {
        replay("mujo_imu6_100hz");
    }

    @Test
    public void mujo200Hz() {
        replay("mujo_imu6_200hz");
    }

    @Test
    public void mujo52HzWithClockDrift() {
        replay("mujo_imu6_52hz_drift");
    }

    @Test
    public void mujo104p3HzResamplesThroughTheIntermediateGrid() {
        replay("mujo_imu6_104p3hz");
    }

    @Test
    public void mujoFaultsLostDuplicatedReorderedLateCorruptAndLongGap() {
        replay("mujo_faults_100hz");
    }

    @Test
    public void polarRawFrames() {
        replay("polar_raw_100hz");
    }

    @Test
    public void polarDeltaFrames() {
        replay("polar_delta_52hz");
    }

    @Test
    public void phoneSensorEvents() {
        Map<String, Object> d = Golden.load("stream_phone_events_100hz.json");
        Sidecar sc = Sidecar.parse(Golden.text((String) d.get("sidecar")));
        Map<String, Object> ev = obj(d.get("events"));
        long[] at = Golden.i64(ev.get("acc_t_ns"));
        long[] gt = Golden.i64(ev.get("gyro_t_ns"));
        float[][] av = Golden.f32x2(ev.get("acc"));
        float[][] gv = Golden.f32x2(ev.get("gyro"));
        double rate = num(obj(d.get("device")).get("rate_hz"));
        checkPlan(d, Resampling.plan(rate, sc.spec.rateHz));
        // the merged grid itself
        SensorEventMerger merger = new SensorEventMerger(new int[] {3, 3}, rate);
        List<float[]> merged = new ArrayList<>();
        int a = 0;
        int b = 0;
        while (a < at.length || b < gt.length) {
            boolean acc = b >= gt.length || (a < at.length && at[a] <= gt[b]);
            merged.addAll(Arrays.asList((acc ? merger.push(0, at[a], av[a++]) : merger.push(1, gt[b], gv[b++])).x));
        }
        assertEquals(lng(d.get("merged_origin_ns")), (long) merger.originNs());
        assertEquals(lng(d.get("merged_rows")), merged.size());
        float[][] head = Golden.f32x2(d.get("merged_head"));
        Golden.assertClose("phone merged grid", head, merged.subList(0, head.length).toArray(new float[0][]),
                Golden.WINDOW_ATOL, Golden.WINDOW_RTOL);
        // windows, in two delivery orders (sensor batches arrive interleaved differently on every phone)
        float[][][] want = Golden.f32x3(d.get("windows"));
        for (int order = 0; order < 2; order++) {
            PhoneSensorStream s = new PhoneSensorStream(sc.spec, sc.channelsUsed, rate, true, 1.0);
            List<Windower.Window> wins = new ArrayList<>();
            a = 0;
            b = 0;
            while (a < at.length || b < gt.length) {
                boolean acc = order == 0 ? b >= gt.length || (a < at.length && at[a] <= gt[b])
                        : b >= gt.length || (a < at.length && (a / 7) <= (b / 5));  // batches of 7 acc, 5 gyro events
                wins.addAll(acc ? s.onEvent(PhoneSensorStream.ACC, at[a], av[a++])
                        : s.onEvent(PhoneSensorStream.GYRO, gt[b], gv[b++]));
            }
            assertEquals("phone windows (order " + order + ")", want.length, wins.size());
            for (int k = 0; k < want.length; k++) {
                Golden.assertClose("phone window[" + k + "]", want[k], wins.get(k).x, Golden.WINDOW_ATOL, Golden.WINDOW_RTOL);
            }
        }
        checkModelInputs(d, sc, want, null);
    }

    static void checkPlan(Map<String, Object> d, Resampling.Plan plan) {
        Map<String, Object> grid = obj(d.get("grid"));
        assertEquals(num(grid.get("grid_rate_hz")), plan.gridHz, 0.0);
        assertEquals(lng(grid.get("up")), plan.up);
        assertEquals(lng(grid.get("down")), plan.down);
    }

    static Decoder decoder(Map<String, Object> d) {
        Map<String, Object> dev = obj(d.get("device"));
        double rate = num(dev.get("rate_hz"));
        if ("mujo".equals(d.get("kind"))) {
            return new MujoProtocol.MujoDecoder(rate, (int) lng(dev.get("format")));
        }
        byte[] start = Golden.hex((String) dev.get("start_command"));
        PolarPmd.ControlResponse resp = PolarPmd.ControlResponse.decode(Golden.hex((String) dev.get("start_response")));
        assertTrue(resp.ok());
        double[] applied = resp.applied(PolarPmd.parseSettings(start, 2));
        assertEquals(num(dev.get("factor")), applied[0], 0.0);
        assertEquals(lng(dev.get("resolution")), (long) applied[1]);
        return new PolarPmd.PolarDecoder(rate, applied[0], (int) applied[1]);
    }

    static void replay(String name) {
        Map<String, Object> d = Golden.load("stream_" + name + ".json");
        Sidecar sc = Sidecar.parse(Golden.text((String) d.get("sidecar")));
        Map<String, Object> p = obj(d.get("pipeline"));
        LiveSession.Config cfg = new LiveSession.Config();
        cfg.reorderDepth = (int) lng(p.get("reorder_depth"));
        cfg.reorderWaitS = num(p.get("reorder_wait_s"));
        cfg.maxGapS = num(p.get("max_gap_s"));
        cfg.smoothing = num(p.get("smoothing"));
        cfg.rejectBelow = num(p.get("reject_below"));
        cfg.allowMissingChannels = (Boolean) p.get("allow_missing_channels");
        Decoder dec = decoder(d);
        if (!cfg.allowMissingChannels) {
            sc.checkDevice(dec.channels(), false);
        } else {  // a Polar stream lacks the gyroscope: refused unless zero-filling was allowed
            Golden.expectThrows(SpecMismatchException.class, () -> sc.checkDevice(dec.channels(), false));
        }
        LiveSession session = new LiveSession(sc.spec, sc.channelsUsed, cfg);
        List<Object> packets = list(d.get("packets_b64"));
        List<Object> tHost = list(d.get("t_host_s"));
        List<Windower.Window> wins = new ArrayList<>(session.beginStream(dec, num(tHost.get(0))));
        for (int i = 0; i < packets.size(); i++) {
            wins.addAll(session.onNotification(Golden.raw((String) packets.get(i)), num(tHost.get(i))));
        }
        wins.addAll(session.finish(num(tHost.get(tHost.size() - 1))));
        checkPlan(d, session.assembler().plan);
        assertEquals(num(obj(d.get("grid")).get("lookahead_s")), session.assembler().lookaheadS(), 1e-12);
        checkDecoded(d, dec, packets);
        checkCounts(name, obj(d.get("counts")), session.counts());
        float[][][] want = Golden.f32x3(d.get("windows"));
        assertEquals(name + " windows", want.length, wins.size());
        List<Object> segs = list(d.get("window_segment"));
        List<Object> tEnd = list(d.get("window_t_end_device_s"));
        for (int k = 0; k < want.length; k++) {
            Windower.Window w = wins.get(k);
            assertEquals(name + " window " + k + " segment", lng(segs.get(k)), w.segment);
            assertEquals(name + " window " + k + " t_end", num(tEnd.get(k)), w.tEndDeviceS, Golden.TIME_ATOL);
            Golden.assertClose(name + " window[" + k + "]", want[k], w.x, Golden.WINDOW_ATOL, Golden.WINDOW_RTOL);
        }
        checkModelInputs(d, sc, want, wins);
        checkSmoothing(d, sc, cfg);
    }

    static void checkDecoded(Map<String, Object> d, Decoder dec, List<Object> packets) {
        Map<String, Object> want = obj(d.get("decoded"));
        List<Object> first = list(want.get("first"));
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            int k = 0;
            for (Object o : packets) {
                SampleBatch b;
                try {
                    b = dec.decode(Golden.raw((String) o));
                } catch (ProtocolException e) {
                    continue;
                }
                float[] flat = Golden.flat(b.samples);
                ByteBuffer buf = ByteBuffer.allocate(4 * flat.length).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(flat);
                sha.update(buf.array());
                if (k < first.size()) {
                    Map<String, Object> e = obj(first.get(k));
                    ProtocolGoldenTest.assertBatch("packet " + k, withChannels(e, b.channels), b);
                }
                k++;
            }
            StringBuilder hex = new StringBuilder();
            for (byte x : sha.digest()) {
                hex.append(String.format("%02x", x & 0xFF));
            }
            assertEquals("sha256 of every decoded float32 sample", want.get("samples_sha256"), hex.toString());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Object> withChannels(Map<String, Object> e, String[] channels) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(e);
        m.put("channels", new ArrayList<Object>(Arrays.asList((Object[]) channels)));
        return m;
    }

    static void checkCounts(String name, Map<String, Object> c, LiveSession.Counts got) {
        long[][] pairs = {
                {lng(c.get("packets_decoded")), got.packetsDecoded}, {lng(c.get("packets_corrupt")), got.packetsCorrupt},
                {lng(c.get("packets_missing")), got.packetsMissing}, {lng(c.get("packets_duplicate")), got.packetsDuplicate},
                {lng(c.get("packets_late")), got.packetsLate}, {lng(c.get("packets_reordered")), got.packetsReordered},
                {lng(c.get("samples_received")), got.samplesReceived}, {lng(c.get("samples_lost")), got.samplesLost},
                {lng(c.get("samples_overlap")), got.samplesOverlap}, {lng(c.get("samples_saturated")), got.samplesSaturated},
                {lng(c.get("windows")), got.windows}, {lng(c.get("gaps")), got.gaps}};
        String[] names = {"packets_decoded", "packets_corrupt", "packets_missing", "packets_duplicate", "packets_late",
                "packets_reordered", "samples_received", "samples_lost", "samples_overlap", "samples_saturated", "windows",
                "gaps"};
        for (int k = 0; k < pairs.length; k++) {
            assertEquals(name + " " + names[k], pairs[k][0], pairs[k][1]);
        }
        List<Object> outages = list(c.get("outages"));
        assertEquals(name + " outages", outages.size(), got.outages.size());
        for (int k = 0; k < outages.size(); k++) {
            Map<String, Object> o = obj(outages.get(k));
            StreamAssembler.Gap g = got.outages.get(k);
            assertEquals(num(o.get("duration_s")), Math.round(g.durationS() * 1e4) / 1e4, 1e-9);
            assertEquals(lng(o.get("lost_samples")), g.lostSamples);
            assertEquals(o.get("stream_split"), g.split);
        }
    }

    /** Normalized and int8 model inputs: from Python's windows exactly, from the JVM's own windows within one step. */
    static void checkModelInputs(Map<String, Object> d, Sidecar sc, float[][][] want, List<Windower.Window> wins) {
        float[] norm = Golden.f32(d.get("normalized"));
        byte[] q = Golden.i8(d.get("quantized"));
        int n = Golden.shape(d.get("normalized"))[0];
        int size = sc.spec.window * sc.spec.channels.length;
        for (int k = 0; k < n; k++) {
            Golden.assertBitExact("normalized window " + k, Arrays.copyOfRange(norm, k * size, (k + 1) * size),
                    Golden.flat(sc.spec.normalize(want[k])));
            assertArrayEquals("int8 window " + k, Arrays.copyOfRange(q, k * size, (k + 1) * size),
                    sc.modelInput(want[k]).bytes);
            if (wins == null) {
                continue;
            }
            byte[] mine = sc.modelInput(wins.get(k).x).bytes;
            for (int j = 0; j < size; j++) {
                if (Math.abs(mine[j] - q[k * size + j]) > Golden.INT8_END_TO_END_STEPS) {
                    fail("int8 input " + j + " of window " + k + " end to end: " + mine[j] + " vs " + q[k * size + j]);
                }
            }
        }
    }

    /** EMA smoothing, argmax and NULL rejection of Python's probabilities, segment by segment. */
    static void checkSmoothing(Map<String, Object> d, Sidecar sc, LiveSession.Config cfg) {
        float[][] probs = Golden.f32x2(d.get("probs"));
        float[][] smoothed = Golden.f32x2(d.get("smoothed"));
        List<Object> labels = list(d.get("labels"));
        List<Object> conf = list(d.get("confidence"));
        List<Object> segs = list(d.get("window_segment"));
        Smoother s = new Smoother(sc.labelNames, cfg.smoothing, cfg.rejectBelow);
        long rejected = 0;
        for (int k = 0; k < probs.length; k++) {
            Smoother.Prediction p = s.add(k, (int) lng(segs.get(k)), probs[k], 0.0);
            Golden.assertBitExact("smoothed " + k, smoothed[k], p.smoothed);
            assertEquals("label " + k, labels.get(k), p.label);
            assertEquals("confidence " + k, num(conf.get(k)), p.confidence, 0.0);
            rejected += p.label == null ? 1 : 0;
        }
        assertEquals(lng(obj(d.get("counts")).get("rejected")), rejected);
        assertEquals(rejected, s.rejected);
    }
}
