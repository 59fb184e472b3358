package org.mujoedge.core;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.Test;

/** JVM-side behaviour beyond the golden cases. */
public class AssemblerTest {
    static List<Windower.Window> stream(int batch) {
        SensorSpec spec = new SensorSpec(50, 128, 64, SensorSpec.IMU_CHANNELS, null, "any", 0.8, "none", null, null);
        StreamAssembler a = new StreamAssembler(spec, 50.0, SensorSpec.IMU_CHANNELS, 1.0, false, null);
        List<Windower.Window> out = new ArrayList<>();
        for (int k = 0; k < 1000; k += batch) {
            float[][] x = new float[batch][6];
            for (int i = 0; i < batch; i++) {
                x[i][2] = (float) Math.sin((k + i) / 7.0);
            }
            out.addAll(a.add((5_000_000 + k * 20_000L) / 1e6, x, new ArrayList<>()));
        }
        return out;
    }

    /**
     * One sample per notification (ATT MTU 27 allows only one IMU6 sample): a grid point that coincides with the only
     * new raw sample is that sample. (Python's StreamAssembler raises "need at least two timed samples" there.)
     */
    @Test
    public void oneSamplePerPacketGivesTheSameWindowsAsBatchesOfTwo() {
        List<Windower.Window> one = stream(1);
        List<Windower.Window> two = stream(2);
        assertEquals(two.size(), one.size());
        for (int k = 0; k < one.size(); k++) {
            Golden.assertClose("window " + k, two.get(k).x, one.get(k).x, 0, 0);
        }
    }
}
