package org.mujoedge.core;

import static org.junit.Assert.assertEquals;
import static org.mujoedge.core.Golden.list;
import static org.mujoedge.core.Golden.lng;
import static org.mujoedge.core.Golden.num;
import static org.mujoedge.core.Golden.obj;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** Counter unwrapping and the reorderer against {@code units.json} (Python's {@code timing} module). */
public class TimingGoldenTest {
    private final Map<String, Object> g = Golden.load("units.json");

    @Test
    public void unwrapsCountersLikePython() {
        for (Object o : list(g.get("unwrap"))) {
            Map<String, Object> c = obj(o);
            Long prev = c.get("previous") == null ? null : lng(c.get("previous"));
            assertEquals(c.toString(), lng(c.get("value")), Reorderer.unwrap(lng(c.get("raw")), prev, lng(c.get("modulo"))));
        }
    }

    @Test
    public void reordererReleasesAndCountsLikePython() {
        for (Object o : list(g.get("reorderer"))) {
            Map<String, Object> script = obj(o);
            Reorderer<Long> r = new Reorderer<>((int) lng(script.get("depth")), num(script.get("max_wait_s")),
                    lng(script.get("modulo")));
            int step = 0;
            for (Object so : list(script.get("steps"))) {
                Map<String, Object> s = obj(so);
                List<Object> args = list(s.get("args"));
                List<Long> got = "push".equals(s.get("op"))
                        ? r.push(lng(args.get(0)), lng(args.get(0)), num(args.get(1)))
                        : r.flush(num(args.get(0)), (Boolean) args.get(1));
                List<Long> want = new ArrayList<>();
                for (Object v : list(s.get("released"))) {
                    want.add(lng(v));
                }
                String where = "step " + step++ + " " + s.get("op") + args;
                assertEquals(where, want, got);
                Map<String, Object> c = obj(s.get("counts"));
                assertEquals(where + " delivered", lng(c.get("delivered")), r.counts.delivered);
                assertEquals(where + " missing", lng(c.get("missing")), r.counts.missing);
                assertEquals(where + " duplicate", lng(c.get("duplicate")), r.counts.duplicate);
                assertEquals(where + " late", lng(c.get("late")), r.counts.late);
                assertEquals(where + " reordered", lng(c.get("reordered")), r.counts.reordered);
            }
        }
    }
}
