package org.mujoedge.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;

/**
 * Restores sequence order of packets with a bounded buffer and counts missing, duplicated, late and reordered ones
 * (twin of {@code mujo_edge.firmware_bridge.timing.Reorderer}).
 *
 * <p>{@code push(seq, item, now)} returns the items that are ready, in order. A hole is waited for until
 * {@code depth} later packets are held or the oldest held one is {@code maxWaitS} old; then it is declared missing.
 * Sequence numbers wrap at {@code modulo}.
 *
 * @param <T> the packet type
 */
public final class Reorderer<T> {
    /** What the reorderer saw (packets). */
    public static final class OrderCounts {
        public long delivered;
        /** Declared lost: never arrived within the reorder window. */
        public long missing;
        /** Arrived twice; second copy discarded. */
        public long duplicate;
        /** Arrived after being declared missing; discarded. */
        public long late;
        /** Arrived after a higher sequence number but in time; put back in order. */
        public long reordered;
    }

    private static final class Held<T> {
        final long seq;
        final T item;
        final double since;

        Held(long seq, T item, double since) {
            this.seq = seq;
            this.item = item;
            this.since = since;
        }
    }

    public final int depth;
    public final double maxWaitS;
    public final long modulo;
    public final OrderCounts counts = new OrderCounts();
    private Long next;
    private Long lastRaw;
    private Long highest;
    private final TreeMap<Long, Held<T>> held = new TreeMap<>();
    private final Deque<Long> recent = new ArrayDeque<>();
    private final Deque<Long> missingRecent = new ArrayDeque<>();
    private final int recentMax;

    public Reorderer(int depth, double maxWaitS, long modulo) {
        this.depth = depth;
        this.maxWaitS = maxWaitS;
        this.modulo = modulo;
        this.recentMax = 4 * depth + 16;
    }

    /**
     * The unwrapped value of counter {@code raw} (wrapping at {@code modulo}) nearest to the unwrapped
     * {@code previous}; {@code modulo == 0} (never wraps) or no previous value returns {@code raw}.
     */
    public static long unwrap(long raw, Long previous, long modulo) {
        if (modulo == 0 || previous == null) {
            return raw;
        }
        long base = previous - Math.floorMod(previous, modulo);
        long best = base + raw;
        for (long cand : new long[] {best - modulo, best + modulo}) {
            if (Math.abs(cand - previous) < Math.abs(best - previous)) {
                best = cand;
            }
        }
        return best;
    }

    /** Forgets the sequence (a new stream starts); counts are kept. */
    public void reset() {
        next = null;
        lastRaw = null;
        highest = null;
        held.clear();
        recent.clear();
        missingRecent.clear();
    }

    private static void bounded(Deque<Long> q, long v, int max) {
        q.addLast(v);
        while (q.size() > max) {
            q.removeFirst();
        }
    }

    /** Offers one packet; returns the packets now ready, in sequence order. */
    public List<T> push(long seq, T item, double now) {
        long s = unwrap(seq, lastRaw, modulo);
        if (next == null) {
            next = s;
        }
        if (s < next || held.containsKey(s)) {
            if (recent.contains(s) || held.containsKey(s)) {
                counts.duplicate++;
            } else if (missingRecent.contains(s)) {
                counts.late++;
            } else {
                counts.duplicate++;
            }
            return new ArrayList<>();
        }
        lastRaw = s;
        if (highest != null && s < highest) {
            counts.reordered++;
        }
        highest = highest == null ? s : Math.max(highest, s);
        held.put(s, new Held<>(s, item, now));
        return release(now, false);
    }

    /** Releases what waited too long ({@code force}: everything held, declaring holes missing). */
    public List<T> flush(double now, boolean force) {
        return release(now, force);
    }

    /** Arrival time of the oldest held packet, or null when nothing is held. */
    public Double oldestWait() {
        Double oldest = null;
        for (Held<T> h : held.values()) {
            oldest = oldest == null ? h.since : Math.min(oldest, h.since);
        }
        return oldest;
    }

    private List<T> release(double now, boolean force) {
        List<T> out = new ArrayList<>();
        while (!held.isEmpty()) {
            Held<T> h = held.remove(next);
            if (h == null) {
                double oldest = oldestWait();
                if (!(force || held.size() >= depth || now - oldest >= maxWaitS)) {
                    break;
                }
                long first = held.firstKey();
                for (long s = next; s < first; s++) {
                    bounded(missingRecent, s, recentMax);
                }
                counts.missing += first - next;
                h = held.remove(first);
            }
            bounded(recent, h.seq, recentMax);
            next = h.seq + 1;
            counts.delivered++;
            out.add(h.item);
        }
        return out;
    }
}
