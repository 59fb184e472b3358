package org.mujoedge.app

import android.content.Context
import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import android.os.Handler
import android.os.HandlerThread
import org.mujoedge.core.PhoneSensorStream
import org.mujoedge.core.Sidecar
import org.mujoedge.core.SpecMismatchException

/**
 * The phone's own accelerometer (`TYPE_ACCELEROMETER`: m/s² including gravity, the specific force the models are
 * trained on) and gyroscope (`TYPE_GYROSCOPE`: rad/s), timed by `SensorEvent.timestamp` (ns, the sensors' clock),
 * never by the wall clock. Events go to the core's [PhoneSensorStream], which merges them onto the planned grid,
 * resamples to the sidecar's rate and windows.
 */
class PhoneSource(context: Context, private val sidecar: Sidecar, private val engine: LiveEngine) :
    WindowSource, SensorEventListener {
    private val sensors = context.getSystemService(SensorManager::class.java)
    private val acc: Sensor = sensors.getDefaultSensor(Sensor.TYPE_ACCELEROMETER)
        ?: throw SpecMismatchException("this phone has no accelerometer")
    private val gyro: Sensor? = sensors.getDefaultSensor(Sensor.TYPE_GYROSCOPE)
    private val thread = HandlerThread("mujo-sensors")

    /** Rate asked of the sensors: twice the model's (room for the anti-aliasing filter), within what they can do. */
    val requestedHz: Double = run {
        val fastest = if (acc.minDelay > 0) 1e6 / acc.minDelay else Double.MAX_VALUE
        if (fastest < sidecar.spec.rateHz) {
            throw SpecMismatchException("the accelerometer delivers at most ${"%.1f".format(fastest)} Hz; the model " +
                "needs ${sidecar.spec.rateHz} Hz")
        }
        minOf(2 * sidecar.spec.rateHz, fastest, MAX_REQUEST_HZ).coerceAtLeast(sidecar.spec.rateHz)
    }

    // Refuses a model that needs the gyroscope on a phone without one (SpecMismatchException, shown by the UI).
    private val stream = PhoneSensorStream(sidecar.spec, sidecar.channelsUsed, requestedHz, gyro != null, MAX_GAP_S)
    private var accEvents = 0L
    private var firstAccNs = 0L
    private var lastAccNs = 0L

    override fun start() {
        stream.setGridSink { t, row -> engine.record(t, row) }
        thread.start()
        val handler = Handler(thread.looper)
        val periodUs = (1e6 / requestedHz).toInt()
        sensors.registerListener(this, acc, periodUs, 0, handler)
        gyro?.let { if (stream.useGyro) sensors.registerListener(this, it, periodUs, 0, handler) }
    }

    override fun stop() {
        sensors.unregisterListener(this)
        thread.quitSafely()
    }

    override fun onSensorChanged(event: SensorEvent) {
        val which = if (event.sensor.type == Sensor.TYPE_ACCELEROMETER) PhoneSensorStream.ACC else PhoneSensorStream.GYRO
        if (which == PhoneSensorStream.ACC) {
            if (accEvents == 0L) firstAccNs = event.timestamp
            accEvents++
            lastAccNs = event.timestamp
        }
        val xyz = floatArrayOf(event.values[0], event.values[1], event.values[2])
        val windows = stream.onEvent(which, event.timestamp, xyz)
        if (windows.isNotEmpty()) engine.onWindows(windows)
    }

    override fun onAccuracyChanged(sensor: Sensor, accuracy: Int) = Unit

    override fun recordingFormat(): Pair<Double, Array<String>> = stream.plan.gridHz to sidecar.spec.channels

    override fun lostSamples(): Long = (stream.lostS * stream.plan.gridHz).toLong()

    override fun detail(): String {
        val measured = if (accEvents > 1) (accEvents - 1) / ((lastAccNs - firstAccNs) / 1e9) else 0.0
        return "phone: asked ${requestedHz} Hz, accelerometer delivers ${"%.1f".format(measured)} Hz" +
            (if (stream.useGyro) " (+ gyroscope)" else " (no gyroscope: zero-filled)") +
            "\nplan: ${stream.plan}; look-ahead ${"%.0f".format(stream.lookaheadS() * 1e3)} ms; " +
            "segments ${stream.segment + 1}"
    }

    companion object {
        const val MAX_GAP_S = 1.0
        const val MAX_REQUEST_HZ = 200.0  // above 200 Hz Android 12+ needs HIGH_SAMPLING_RATE_SENSORS
    }
}
