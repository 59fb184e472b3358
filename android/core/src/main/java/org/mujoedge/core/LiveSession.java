package org.mujoedge.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One device session, notification bytes in, windows out, everything counted: the synchronous twin of Python's
 * {@code LivePipeline} consumer ({@code _handle}, {@code _deliver}, {@code _assembler_for}); inference and the
 * {@link Smoother} are the caller's (the app runs the model on a worker thread).
 *
 * <p>Per notification: decode (a failure is counted corrupt), unwrap the device µs clock across the session,
 * order streams without sequence numbers (Polar) by timestamp (duplicates and late frames counted), restore sequence
 * order with the {@link Reorderer}, then the {@link StreamAssembler} (rebuilt when the device's rate or channels
 * change). Call {@link #beginStream} at every (re)start, {@link #poll} regularly (holes time out), {@link #finish} at
 * the end.
 */
public final class LiveSession {
    /** Options (defaults as Python's {@code PipelineConfig}). */
    public static final class Config {
        public int reorderDepth = 4;
        public double reorderWaitS = 0.05;
        public double maxGapS = 1.0;
        public double smoothing = 0.6;
        public double rejectBelow = 0.5;
        public boolean allowMissingChannels = false;
        /** Holes of at least this length are listed as outages, s. */
        public double outageS = 0.2;
    }

    /** Counters of the session (names as the desktop's metrics). */
    public static final class Counts {
        public long packetsReceived;
        public long packetsDecoded;
        public long packetsCorrupt;
        public long packetsMissing;
        public long packetsDuplicate;
        public long packetsLate;
        public long packetsReordered;
        public long samplesReceived;
        public long samplesLost;
        public long samplesOverlap;
        public long samplesSaturated;
        public long windows;
        public long gaps;
        public final Map<String, Long> corruptReasons = new LinkedHashMap<>();
        public final List<StreamAssembler.Gap> outages = new ArrayList<>();
    }

    /** Receives every delivered batch (device time of its samples, s; values) e.g. for a recording CSV. */
    public interface SampleSink {
        void accept(double[] tDeviceS, float[][] samples, String[] channels);
    }

    public final SensorSpec spec;
    public final Config cfg;
    private final String[] required;
    private final Counts counts = new Counts();
    private final Reorderer<SampleBatch> reorderer;
    private final Reorderer.OrderCounts timeOrder = new Reorderer.OrderCounts();
    private Decoder decoder;
    private StreamAssembler assembler;
    private Long timeUs;
    private Long lastPolarT;
    private long lostBefore;
    private long overlapBefore;
    private SampleSink sink;

    /** @param required channels the model uses ({@code channels_used}); null: every spec channel */
    public LiveSession(SensorSpec spec, String[] required, Config cfg) {
        this.spec = spec;
        this.required = required == null ? spec.channels : required.clone();
        this.cfg = cfg;
        this.reorderer = new Reorderer<>(cfg.reorderDepth, cfg.reorderWaitS, MujoProtocol.SEQ_MODULO);
    }

    public void setSampleSink(SampleSink sink) {
        this.sink = sink;
    }

    /**
     * The stream (re)started with {@code decoder} (what the device applied): packets held for the previous stream are
     * released, sequence numbers restart, the device clock continues. A device that cannot feed the model throws.
     */
    public List<Windower.Window> beginStream(Decoder decoder, double nowS) {
        List<String> missing = new ArrayList<>();
        for (String c : required) {
            if (!Arrays.asList(decoder.channels()).contains(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty() && !cfg.allowMissingChannels) {
            throw new SpecMismatchException("the device streams " + Arrays.asList(decoder.channels()) + "; the model uses "
                    + Arrays.asList(required) + ", missing " + missing + " (allow zero-filled channels explicitly to go on)");
        }
        List<Windower.Window> out = new ArrayList<>();
        if (this.decoder != null) {
            out.addAll(deliver(reorderer.flush(nowS, true)));
        }
        reorderer.reset();
        lastPolarT = null;
        this.decoder = decoder;
        return out;
    }

    /** One notification received at host time {@code nowS} (s, monotonic); returns the windows that became ready. */
    public List<Windower.Window> onNotification(byte[] data, double nowS) {
        counts.packetsReceived++;
        if (decoder == null) {
            throw new IllegalStateException("beginStream() was not called");
        }
        List<Windower.Window> out = new ArrayList<>(handle(data, nowS));
        out.addAll(deliver(reorderer.flush(nowS, false)));
        return out;
    }

    /** Releases packets whose wait for a missing one timed out. */
    public List<Windower.Window> poll(double nowS) {
        return deliver(reorderer.flush(nowS, false));
    }

    /** End of the session: everything held is released (holes declared missing). */
    public List<Windower.Window> finish(double nowS) {
        return deliver(reorderer.flush(nowS, true));
    }

    private List<Windower.Window> handle(byte[] data, double nowS) {
        SampleBatch batch;
        try {
            batch = decoder.decode(data);
        } catch (ProtocolException e) {
            counts.packetsCorrupt++;
            String reason = e.getMessage().split(" \\(")[0].replaceAll("\\d+", "N");
            reason = reason.substring(0, Math.min(60, reason.length()));
            counts.corruptReasons.merge(reason, 1L, Long::sum);
            return new ArrayList<>();
        }
        counts.packetsDecoded++;
        long tUs = Reorderer.unwrap(batch.tFirstUs, timeUs, batch.timeModulo);
        if (!batch.hasSeq()) {  // no sequence numbers (Polar): order by timestamp only
            if (lastPolarT != null && tUs <= lastPolarT) {
                if (tUs == lastPolarT) {
                    timeOrder.duplicate++;
                } else {
                    timeOrder.late++;
                }
                return new ArrayList<>();
            }
            lastPolarT = tUs;
        }
        timeUs = tUs;
        SampleBatch b = batch.withTFirstUs(tUs);
        List<SampleBatch> ready = new ArrayList<>();
        if (b.hasSeq()) {
            ready.addAll(reorderer.push(b.seq, b, nowS));
        } else {
            ready.add(b);
        }
        return deliver(ready);
    }

    private List<Windower.Window> deliver(List<SampleBatch> batches) {
        List<Windower.Window> out = new ArrayList<>();
        for (SampleBatch b : batches) {
            StreamAssembler asm = assemblerFor(b);
            List<StreamAssembler.Gap> gaps = new ArrayList<>();
            out.addAll(asm.add(b.tFirstUs / 1e6, b.samples, gaps));
            counts.samplesReceived += b.count();
            counts.samplesSaturated += b.saturated;
            for (StreamAssembler.Gap g : gaps) {
                counts.gaps++;
                if (g.durationS() >= cfg.outageS || g.split) {
                    counts.outages.add(g);
                }
            }
            if (sink != null) {
                double[] t = new double[b.count()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = b.tFirstUs / 1e6 + i * b.periodUs / 1e6;
                }
                sink.accept(t, b.samples, b.channels);
            }
        }
        counts.windows += out.size();
        return out;
    }

    private StreamAssembler assemblerFor(SampleBatch b) {
        double rate = 1e6 / b.periodUs;
        StreamAssembler a = assembler;
        if (a == null || !Arrays.equals(a.channels, b.channels) || Math.abs(a.deviceRateHz - rate) > 1e-6 * rate) {
            if (a != null) {
                lostBefore += a.samplesLost;
                overlapBefore += a.samplesOverlap;
            }
            a = assembler = new StreamAssembler(spec, rate, b.channels, cfg.maxGapS, cfg.allowMissingChannels, required);
        }
        return a;
    }

    /** The current counts (a snapshot of the reorderer's and the assembler's). */
    public Counts counts() {
        Reorderer.OrderCounts c = reorderer.counts;
        counts.packetsMissing = c.missing;
        counts.packetsReordered = c.reordered;
        counts.packetsDuplicate = c.duplicate + timeOrder.duplicate;
        counts.packetsLate = c.late + timeOrder.late;
        if (assembler != null) {
            counts.samplesLost = lostBefore + assembler.samplesLost;
            counts.samplesOverlap = overlapBefore + assembler.samplesOverlap;
        }
        return counts;
    }

    /** The assembler of the current stream (rates, look-ahead), or null before the first packet. */
    public StreamAssembler assembler() {
        return assembler;
    }
}
