package org.mujoedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.mujoedge.core.Golden.hex;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.util.Map;
import org.junit.Test;

/** Our GATT protocol against {@code units.json → protocol} (packets and records from Python's encoder). */
public class ProtocolGoldenTest {
    private final Map<String, Object> g = obj(Golden.load("units.json").get("protocol"));

    static void assertBatch(String what, Map<String, Object> exp, SampleBatch b) {
        Object seq = exp.get("seq");
        assertEquals(what + " seq", seq == null ? -1 : lng(seq), b.seq);
        assertEquals(what + " t_first_us", lng(exp.get("t_first_us")), b.tFirstUs);
        assertEquals(what + " period_us", num(exp.get("period_us")), b.periodUs, 0.0);
        assertEquals(what + " saturated", lng(exp.get("saturated")), b.saturated);
        assertArrayEquals(what + " channels", SensorSpec.strings(list(exp.get("channels"))), b.channels);
        Golden.assertBitExact(what + " samples", Golden.f32(exp.get("samples")), Golden.flat(b.samples));
    }

    @Test
    public void crc16CheckValue() {
        Map<String, Object> c = obj(g.get("crc16"));
        byte[] in = hex((String) c.get("input_hex"));
        assertEquals(lng(c.get("crc")), MujoProtocol.crc16(in, 0, in.length));
    }

    @Test
    public void decodesEveryVectorPacketBitExactly() {
        for (Object o : list(g.get("packets"))) {
            Map<String, Object> p = obj(o);
            SampleBatch b = MujoProtocol.decodePacket(hex((String) p.get("hex")), num(p.get("rate_hz")));
            assertBatch((String) p.get("name"), obj(p.get("decoded")), b);
        }
    }

    @Test
    public void rejectsMalformedPacketsWithPythonsMessage() {
        for (Object o : list(g.get("bad_packets"))) {
            Map<String, Object> p = obj(o);
            ProtocolException e = Golden.expectThrows(ProtocolException.class,
                    () -> MujoProtocol.decodePacket(hex((String) p.get("hex")), 50.0));
            assertEquals((String) p.get("kind"), p.get("python_error"), e.getMessage());
        }
    }

    @Test
    public void encodesStartCommands() {
        for (Object o : list(g.get("start"))) {
            Map<String, Object> s = obj(o);
            byte[] got = MujoProtocol.startCommand(num(s.get("rate_hz")), (int) lng(s.get("format")),
                    (int) lng(s.get("acc_range_g")), (int) lng(s.get("gyro_range_dps")), (int) lng(s.get("batch")));
            assertArrayEquals(hex((String) s.get("hex")), got);
        }
    }

    @Test
    public void decodesStatusRecord() {
        Map<String, Object> s = obj(g.get("status"));
        MujoProtocol.DeviceStatus st = MujoProtocol.DeviceStatus.decode(hex((String) s.get("hex")));
        Map<String, Object> d = obj(s.get("decoded"));
        assertEquals(lng(d.get("state")), st.state);
        assertEquals(lng(d.get("error")), st.error);
        assertEquals(lng(d.get("fmt")), st.fmt);
        assertEquals(lng(d.get("acc_range_g")), st.accRangeG);
        assertEquals(lng(d.get("gyro_range_dps")), st.gyroRangeDps);
        assertEquals(lng(d.get("batch")), st.batch);
        assertEquals(lng(d.get("att_mtu")), st.attMtu);
        assertEquals(num(d.get("rate_hz")), st.rateHz, 0.0);
        assertEquals(lng(d.get("t_now_us")), st.tNowUs);
        ProtocolException e = Golden.expectThrows(ProtocolException.class,
                () -> MujoProtocol.DeviceStatus.decode(hex((String) s.get("bad_hex"))));
        assertEquals(s.get("bad_error"), e.getMessage());
    }

    @Test
    public void sizesBatchesAndMtuLikeTheDesktopClient() {
        for (Object o : list(g.get("choose_batch"))) {
            Map<String, Object> c = obj(o);
            int req = (int) lng(c.get("requested"));
            double rate = num(c.get("rate_hz"));
            int mtu = (int) lng(c.get("att_mtu"));
            int fmt = (int) lng(c.get("format"));
            if (c.get("batch") == null) {
                Golden.expectThrows(MujoException.class, () -> MujoProtocol.chooseBatch(req, rate, mtu, fmt));
            } else {
                assertEquals(c.toString(), lng(c.get("batch")), MujoProtocol.chooseBatch(req, rate, mtu, fmt));
            }
        }
        for (Object o : list(g.get("usable_att_mtu"))) {
            Map<String, Object> c = obj(o);
            Integer host = c.get("host") == null ? null : (int) lng(c.get("host"));
            Integer dev = c.get("device") == null ? null : (int) lng(c.get("device"));
            assertEquals(c.toString(), lng(c.get("att_mtu")), MujoProtocol.usableAttMtu(host, dev));
        }
        for (Object o : list(g.get("max_batch"))) {
            Map<String, Object> c = obj(o);
            assertEquals(c.toString(), lng(c.get("max_batch")),
                    MujoProtocol.maxBatch((int) lng(c.get("format")), (int) lng(c.get("att_mtu"))));
        }
    }

    @Test
    public void decoderRefusesAnotherFormatThanStarted() {
        Map<String, Object> acc3 = obj(list(g.get("packets")).get(2));
        MujoProtocol.MujoDecoder imu6 = new MujoProtocol.MujoDecoder(50.0, MujoProtocol.FORMAT_IMU6);
        Golden.expectThrows(ProtocolException.class, () -> imu6.decode(hex((String) acc3.get("hex"))));
    }
}
