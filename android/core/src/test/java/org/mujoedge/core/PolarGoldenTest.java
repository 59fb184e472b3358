package org.mujoedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.mujoedge.core.Golden.hex;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Polar PMD against {@code units.json → polar} (responses and frames from Python's encoder). */
public class PolarGoldenTest {
    private final Map<String, Object> g = obj(Golden.load("units.json").get("polar"));

    static Map<Integer, double[]> settings(Map<String, Object> m) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            List<Object> v = list(e.getValue());
            double[] d = new double[v.size()];
            for (int k = 0; k < d.length; k++) {
                d[k] = num(v.get(k));
            }
            out.put(Integer.parseInt(e.getKey()), d);
        }
        return out;
    }

    @Test
    public void parsesControlResponsesAndAppliedSettings() {
        for (Object o : list(g.get("responses"))) {
            Map<String, Object> r = obj(o);
            PolarPmd.ControlResponse resp = PolarPmd.ControlResponse.decode(hex((String) r.get("hex")));
            assertEquals(lng(r.get("op")), resp.op);
            assertEquals(lng(r.get("measurement")), resp.measurement);
            assertEquals(lng(r.get("error")), resp.error);
            assertEquals(r.get("error_name"), resp.errorName());
            assertEquals(r.get("more"), resp.more);
            Map<Integer, double[]> want = settings(obj(r.get("settings")));
            assertEquals(want.keySet(), resp.settings.keySet());
            for (Integer k : want.keySet()) {
                assertArrayEquals(want.get(k), resp.settings.get(k), 0.0);
            }
            if (r.get("applied") == null) {
                continue;
            }
            double[] applied = resp.applied(settings(obj(r.get("requested"))));
            assertEquals(num(list(r.get("applied")).get(0)), applied[0], 0.0);
            assertEquals(num(list(r.get("applied")).get(1)), applied[1], 0.0);
        }
    }

    @Test
    public void decodesRawAndDeltaFramesBitExactly() {
        for (Object o : list(g.get("frames"))) {
            Map<String, Object> f = obj(o);
            SampleBatch b = PolarPmd.decodeFrame(hex((String) f.get("hex")), num(f.get("rate_hz")), num(f.get("factor")),
                    (int) lng(f.get("resolution")));
            ProtocolGoldenTest.assertBatch((String) f.get("name"), obj(f.get("decoded")), b);
            assertEquals(0, b.timeModulo);
        }
    }

    @Test
    public void rejectsMalformedFramesWithPythonsMessage() {
        for (Object o : list(g.get("bad_frames"))) {
            Map<String, Object> f = obj(o);
            ProtocolException e = Golden.expectThrows(ProtocolException.class,
                    () -> PolarPmd.decodeFrame(hex((String) f.get("hex")), 52.0, 1.0, 16));
            assertEquals((String) f.get("kind"), f.get("python_error"), e.getMessage());
        }
    }

    @Test
    public void encodesCommands() {
        Map<String, Object> c = obj(g.get("commands"));
        assertArrayEquals(hex((String) c.get("start_52_8")), PolarPmd.startCommand(52, 8, 16, 3));
        assertArrayEquals(hex((String) c.get("stop")), PolarPmd.stopCommand());
        assertArrayEquals(hex((String) c.get("get_settings")), PolarPmd.getSettingsCommand());
        Map<Integer, double[]> s = PolarPmd.parseSettings(PolarPmd.startCommand(52, 8, 16, 3), 2);
        assertArrayEquals(new double[] {52}, s.get(PolarPmd.SAMPLE_RATE), 0.0);
        assertNull(s.get(PolarPmd.FACTOR));
    }
}
