package org.mujoedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Sidecars, normalization, int8 quantization and device checks against the golden sidecars and {@code units.json}. */
public class ModelIoGoldenTest {
    private final Map<String, Object> g = Golden.load("units.json");

    @Test
    public void readsTheSidecarsExportWrites() {
        Sidecar pte = Sidecar.parse(Golden.text("sidecar_int8_pte.json"));
        assertEquals("executorch", pte.backend);
        assertFalse(pte.input.quantized());
        assertEquals(50.0, pte.spec.rateHz, 0.0);
        assertEquals(128, pte.spec.window);
        assertEquals(64, pte.spec.hop);
        assertArrayEquals(SensorSpec.IMU_CHANNELS, pte.spec.channels);
        assertEquals(6, pte.labelNames.length);
        Sidecar tfl = Sidecar.parse(Golden.text("sidecar_int8_tflite.json"));
        assertTrue(tfl.input.quantized());
        assertEquals("int8", tfl.input.dtype);
        Map<String, Object> q = obj(obj(tfl.raw.get("input")).get("quantization"));
        assertEquals((float) num(q.get("scale")), tfl.input.scale, 0f);
        assertEquals(lng(q.get("zero_point")), tfl.input.zeroPoint);
        assertTrue(tfl.output.quantized());
    }

    @Test
    public void normalizesInFloat32LikeNumpy() {
        Sidecar sc = Sidecar.parse(Golden.text("sidecar_int8_tflite.json"));
        Map<String, Object> n = obj(g.get("normalize"));
        Golden.assertBitExact("normalize", Golden.f32(n.get("y")), Golden.flat(sc.spec.normalize(Golden.f32x2(n.get("x")))));
    }

    @Test
    public void quantizesWithRoundHalfToEvenAndClipping() {
        for (Object o : list(g.get("quantize"))) {
            Map<String, Object> c = obj(o);
            float[] x = Golden.f32(c.get("x"));
            byte[] want = Golden.i8(c.get("q"));
            float scale = (float) num(c.get("scale"));
            int zp = (int) lng(c.get("zero_point"));
            for (int k = 0; k < x.length; k++) {
                assertEquals("x=" + x[k], want[k], Sidecar.quantize(x[k], scale, zp, -128, 127));
            }
        }
    }

    @Test
    public void refusesEverySidecarTheReadersMustRefuse() {
        String base = Golden.text("sidecar_int8_tflite.json");
        for (Object o : list(g.get("sidecar_rejects"))) {
            Map<String, Object> c = obj(o);
            Map<String, Object> m = Json.parseObject(base);
            List<Object> path = list(c.get("path"));
            Object node = m;
            for (int k = 0; k < path.size() - 1; k++) {
                Object key = path.get(k);
                node = key instanceof Long ? list(node).get((int) (long) (Long) key) : obj(node).get((String) key);
            }
            Object last = path.get(path.size() - 1);
            if (last instanceof Long) {
                list(node).set((int) (long) (Long) last, c.get("value"));
            } else if (c.get("value") == null) {
                obj(node).remove((String) last);
            } else {
                obj(node).put((String) last, c.get("value"));
            }
            SidecarException e = Golden.expectThrows(SidecarException.class, () -> Sidecar.fromJson(m));
            if (c.get("python_error") != null) {  // where Python refuses too, it is for the same reason
                String py = (String) c.get("python_error");
                // the allowed-value lists may differ (the app runs fewer dtypes than Python reads): compare the rest
                String core = py.replaceAll("^invalid sensor_spec \\((.*)\\)$", "$1").replaceAll("; upgrade mujo-edge$", "")
                        .replaceAll("must be [^']*, got", "must be …, got");
                String jvm = e.getMessage().replaceAll("must be [^']*, got", "must be …, got");
                assertTrue(c.get("why") + ": JVM says '" + e.getMessage() + "', Python '" + py + "'",
                        jvm.contains(core.replaceAll("this mujo-edge understands", "this app understands"))
                                || jvm.contains(core));
            }
        }
    }

    @Test
    public void checksDeviceChannelsLikePython() {
        Sidecar base = Sidecar.parse(Golden.text("sidecar_int8_tflite.json"));
        for (Object o : list(g.get("check_channels"))) {
            Map<String, Object> c = obj(o);
            String[] spec = SensorSpec.strings(list(c.get("spec_channels")));
            String[] dev = SensorSpec.strings(list(c.get("device_channels")));
            boolean allow = (Boolean) c.get("allow_missing");
            Sidecar sc = base;
            if (spec.length != base.spec.channels.length) {
                Map<String, Object> m = Json.parseObject(Golden.text("sidecar_int8_tflite.json"));
                Map<String, Object> s = obj(m.get("sensor_spec"));
                s.put("channels", List.of((Object[]) spec));
                s.remove("units");
                s.put("normalization", Json.parseObject("{\"kind\": \"none\"}"));
                obj(m.get("input")).put("shape", List.of(1L, 128L, (long) spec.length));
                sc = Sidecar.fromJson(m);
            }
            final Sidecar use = sc;
            if (c.get("python_error") == null) {
                use.checkDevice(dev, allow);
            } else {
                SpecMismatchException e = Golden.expectThrows(SpecMismatchException.class, () -> use.checkDevice(dev, allow));
                assertTrue(e.getMessage(), e.getMessage().contains("missing"));
            }
        }
    }
}
