package org.mujoedge.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
    @Test
    public void parsesWhatPythonWrites() {
        Map<String, Object> m = Json.parseObject("{\"a\": [1, -2.5e-3, true, null, \"x\\u00e9\\n\"], \"t\": 820000000123456789,"
                + " \"f\": 0.1, \"nested\": {\"k\": []}}");
        List<Object> a = Golden.list(m.get("a"));
        assertEquals(1L, a.get(0));
        assertEquals(-2.5e-3, (Double) a.get(1), 0.0);
        assertEquals(Boolean.TRUE, a.get(2));
        assertNull(a.get(3));
        assertEquals("x\u00e9\n", a.get(4));
        assertEquals(820000000123456789L, m.get("t"));
        assertEquals(0.1, (Double) m.get("f"), 0.0);
        assertEquals(0, Golden.list(Golden.obj(m.get("nested")).get("k")).size());
    }

    @Test
    public void rejectsMalformedJsonWithAPosition() {
        for (String bad : new String[] {"{", "{\"a\" 1}", "[1,]", "{\"a\": 1} x", "\"\\q\"", "nul"}) {
            MujoException e = Golden.expectThrows(MujoException.class, () -> Json.parse(bad));
            assertEquals(true, e.getMessage().startsWith("invalid JSON at character"));
        }
    }

    @Test
    public void sidecarErrorsNameTheProblem() {
        SidecarException e = Golden.expectThrows(SidecarException.class, () -> Sidecar.parse("[1, 2]"));
        assertEquals("not a valid sidecar: expected a JSON object, got array", e.getMessage());
    }
}
