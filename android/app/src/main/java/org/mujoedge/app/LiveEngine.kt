package org.mujoedge.app

import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import java.io.Writer
import java.util.ArrayDeque
import java.util.concurrent.Executors
import org.mujoedge.core.RecordingCsv
import org.mujoedge.core.Smoother
import org.mujoedge.core.Windower

/** What the screen shows after every window. */
data class LiveState(
    val label: String?,
    val confidence: Float,
    val windowsPerS: Double,
    val inferenceMs: Double,
    val lostSamples: Long,
    val detail: String,
)

/** A source of windows: the phone's sensors or a BLE watch. */
interface WindowSource {
    /** Starts delivering windows to [LiveEngine.onWindows] (throws a core exception on a spec / device mismatch). */
    fun start()
    fun stop()
    /** Samples lost so far (from device timestamps, or phone sensor pauses) and a line of source details. */
    fun lostSamples(): Long
    fun detail(): String
    /** Rate (Hz) and channels of the samples [LiveEngine.record] receives, once known (a watch: after its START). */
    fun recordingFormat(): Pair<Double, Array<String>>?
}

/**
 * Runs the model on every window (one worker thread, oldest windows dropped when it falls behind), smooths and
 * rejects as the sidecar's pipeline does ([Smoother]), measures the window rate and inference time, writes the
 * recording CSV, and posts a [LiveState] to the UI thread.
 */
class LiveEngine(private val classifier: ExecuTorchClassifier, private val onState: (LiveState) -> Unit,
                 private val onError: (String) -> Unit) {
    var source: WindowSource? = null
    private val smoother = Smoother(classifier.sidecar.labelNames, SMOOTHING, REJECT_BELOW)
    private val worker = Executors.newSingleThreadExecutor()
    private val ui = Handler(Looper.getMainLooper())
    private val windowTimes = ArrayDeque<Long>()
    private val queue = ArrayDeque<Windower.Window>()
    @Volatile var droppedWindows = 0L
        private set
    @Volatile private var recorder: RecordingCsv? = null
    @Volatile var currentLabel: String? = null

    /** Called on a source's thread with the windows that became complete. */
    fun onWindows(windows: List<Windower.Window>) {
        for (w in windows) {
            synchronized(queue) {
                if (queue.size >= MAX_PENDING) {  // inference fell behind: drop the oldest, as the desktop bridge does
                    queue.removeFirst()
                    droppedWindows++
                }
                queue.addLast(w)
            }
            worker.execute { synchronized(queue) { queue.pollFirst() }?.let { classify(it) } }
        }
    }

    private fun classify(w: Windower.Window) {
        try {
            val (probs, seconds) = classifier.predict(w.x)
            val p = smoother.add(w.index, w.segment, probs, seconds)
            val now = SystemClock.elapsedRealtimeNanos()
            val rate = synchronized(windowTimes) {
                windowTimes.addLast(now)
                while (windowTimes.size > 20) windowTimes.removeFirst()
                if (windowTimes.size < 2) 0.0 else (windowTimes.size - 1) / ((now - windowTimes.first) / 1e9)
            }
            val src = source
            val state = LiveState(p.label, p.confidence, rate, seconds * 1e3, src?.lostSamples() ?: 0L,
                (src?.detail() ?: "") + "\nwindows dropped (inference behind): $droppedWindows" +
                    "\nNULL (confidence < $REJECT_BELOW): ${smoother.rejected} of ${smoother.predictions}")
            ui.post { onState(state) }
        } catch (e: Exception) {
            ui.post { onError("inference failed: ${e.message}") }
        }
    }

    /** Shows an error of a source on the screen (any thread). */
    fun reportError(message: String) {
        ui.post { onError(message) }
    }

    /** Starts writing received samples to a recording CSV (`mujo-edge predict --input FILE.csv` reads it). */
    fun startRecording(out: Writer, rateHz: Double, channels: Array<String>, placement: String) {
        recorder = RecordingCsv(out, rateHz, channels, placement, "android", "live", "android")
    }

    /** One received sample (device or sensor clock, s). Called on the source's thread. */
    fun record(tS: Double, values: FloatArray) {
        val r = recorder ?: return
        try {
            r.row(tS, values, currentLabel)
        } catch (e: Exception) {
            recorder = null
            ui.post { onError("recording stopped: ${e.message}") }
        }
    }

    fun stopRecording(): Long {
        val r = recorder ?: return 0
        recorder = null
        r.close()
        return r.rows
    }

    fun close() {
        source?.stop()
        stopRecording()
        worker.shutdown()
    }

    companion object {
        /** As the desktop bridge (PipelineConfig): weight of the newest window, NULL threshold. */
        const val SMOOTHING = 0.6
        const val REJECT_BELOW = 0.5
        const val MAX_PENDING = 8
    }
}
