package org.mujoedge.core;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The recording CSV writer. With {@code -Dmujo.csvOut=FILE} it also writes the decoded samples of the 100 Hz golden
 * stream there, which {@code tests/android/test_jvm_core.py} reads back with Python's {@code read_recording_csv}.
 */
public class RecordingCsvTest {
    @Test
    public void formatsNumbersLikePythons6g() {
        float[] v = {0f, 9.80665f, -0.000123456f, 123456.7f, 1e-7f, 65504f, -3.25f, 1234567f};
        String[] want = {"0", "9.80665", "-0.000123456", "123457", "1e-07", "65504", "-3.25", "1.23457e+06"};
        for (int k = 0; k < v.length; k++) {
            assertEquals(want[k], RecordingCsv.g6(v[k]));
        }
        assertEquals("50.0", RecordingCsv.pyRepr(50.0));
        assertEquals("104.3", RecordingCsv.pyRepr(104.3));
    }

    @Test
    public void writesTheHeaderAndRows() throws IOException {
        StringWriter w = new StringWriter();
        try (RecordingCsv csv = new RecordingCsv(w, 100.0, SensorSpec.ACC_CHANNELS, "wrist_left", "me", "walk", "android")) {
            csv.row(12.5, new float[] {0.5f, -1f, 9.80665f}, "walking");
            csv.row(12.51, new float[] {0.25f, 0f, 9.8f}, null);
        }
        String[] lines = w.toString().split("\n");
        assertEquals(RecordingCsv.MAGIC, lines[0]);
        assertEquals("# rate_hz=100.0", lines[1]);
        assertEquals("t_s,acc_x,acc_y,acc_z,label", lines[6]);
        assertEquals("0.000000,0.5,-1,9.80665,walking", lines[7]);
        assertEquals("0.010000,0.25,0,9.8,", lines[8]);
    }

    @Test
    public void writesAGoldenStreamForPythonToReadBack() throws IOException {
        String out = System.getProperty("mujo.csvOut");
        if (out == null) {
            return;  // only the pytest harness asks for the cross-check
        }
        Map<String, Object> d = Golden.load("stream_mujo_imu6_100hz.json");
        Decoder dec = new MujoProtocol.MujoDecoder(Golden.num(Golden.obj(d.get("device")).get("rate_hz")), 1);
        List<Object> packets = Golden.list(d.get("packets_b64"));
        try (Writer f = Files.newBufferedWriter(Paths.get(out), StandardCharsets.UTF_8);
             RecordingCsv csv = new RecordingCsv(f, dec.rateHz(), dec.channels(), "thigh_right", "golden", "mujo_imu6_100hz",
                     "android")) {
            for (Object p : packets) {
                SampleBatch b = dec.decode(Golden.raw((String) p));
                for (int i = 0; i < b.count(); i++) {
                    csv.row(b.tFirstUs / 1e6 + i * b.periodUs / 1e6, b.samples[i], i == 0 ? "walking" : "");
                }
            }
        }
    }
}
