package org.mujoedge.app

import android.annotation.SuppressLint
import android.bluetooth.BluetoothDevice
import android.bluetooth.BluetoothGatt
import android.bluetooth.BluetoothGattCallback
import android.bluetooth.BluetoothGattCharacteristic
import android.bluetooth.BluetoothGattDescriptor
import android.bluetooth.BluetoothManager
import android.bluetooth.BluetoothProfile
import android.bluetooth.BluetoothStatusCodes
import android.bluetooth.le.ScanCallback
import android.bluetooth.le.ScanResult
import android.bluetooth.le.ScanSettings
import android.content.Context
import android.os.Build
import android.os.Handler
import android.os.HandlerThread
import android.os.SystemClock
import java.util.ArrayDeque
import java.util.UUID
import org.mujoedge.core.Decoder
import org.mujoedge.core.LiveSession
import org.mujoedge.core.MujoException
import org.mujoedge.core.MujoProtocol
import org.mujoedge.core.PolarPmd
import org.mujoedge.core.Sidecar
import org.mujoedge.core.Windower

/**
 * A BLE watch speaking our GATT protocol (`firmware_bridge/PROTOCOL.md`) or Polar PMD ACC. Scans (by name or address,
 * else the first device advertising either service), connects, asks for a 247-byte MTU, starts the stream as the
 * desktop client does (status → START with a batch that fits → status; or PMD settings → start → applied factor),
 * reconnects after a link loss (at once, then backing off 0.1 → 2 s) and feeds every notification, timestamped on
 * arrival, to the core's [LiveSession] (decode, reorder, loss accounting, resampling, windows).
 *
 * All GATT work runs on one thread; Android allows one outstanding GATT operation, so operations are queued.
 */
@SuppressLint("MissingPermission")  // MainActivity has the runtime permissions granted before start()
class BleWatchSource(private val context: Context, private val sidecar: Sidecar, private val engine: LiveEngine,
                     private val target: String) : WindowSource {
    private val adapter = context.getSystemService(BluetoothManager::class.java)?.adapter
        ?: throw MujoException("this phone has no Bluetooth")
    private val thread = HandlerThread("mujo-ble").apply { start() }
    private val handler = Handler(thread.looper)
    private val session = LiveSession(sidecar.spec, sidecar.channelsUsed, LiveSession.Config())
    private val ops = ArrayDeque<() -> Boolean>()
    private var busy = false
    private var onRead: ((ByteArray) -> Unit)? = null
    private var onPolarResponse: ((PolarPmd.ControlResponse) -> Unit)? = null
    private val early = ArrayList<Pair<ByteArray, Double>>()  // notifications before the stream's decoder is known
    private var gatt: BluetoothGatt? = null
    private var device: BluetoothDevice? = null
    @Volatile private var decoder: Decoder? = null
    private var dataUuid: UUID? = null
    private var attMtu = MujoProtocol.DEFAULT_ATT_MTU
    private var failures = 0
    private var reconnects = 0
    @Volatile private var running = false
    @Volatile private var line = "scanning for ${target.ifEmpty { "a mujo or Polar device" }}"
    @Volatile private var lost = 0L

    private fun now() = SystemClock.elapsedRealtimeNanos() / 1e9

    override fun start() {
        if (!adapter.isEnabled) throw MujoException("Bluetooth is off")
        running = true
        session.setSampleSink { t, x, _ -> for (i in t.indices) engine.record(t[i], x[i]) }
        handler.post(poll)
        handler.post { scan() }
    }

    override fun stop() {
        running = false
        handler.post {
            scanner()?.stopScan(scanCallback)
            gatt?.let { g ->
                val ctl = controlCharacteristic(g)
                if (ctl != null) write(g, ctl, if (dataUuid == PMD_DATA) PolarPmd.stopCommand() else MujoProtocol.stopCommand())
                g.disconnect()
                g.close()
            }
            gatt = null
            engine.onWindows(session.finish(now()))
            thread.quitSafely()
        }
    }

    override fun lostSamples(): Long = lost

    override fun recordingFormat(): Pair<Double, Array<String>>? = decoder?.let { it.rateHz() to it.channels() }

    override fun detail(): String = line

    private val poll = object : Runnable {  // holes in the sequence time out even when no packet arrives
        override fun run() {
            if (!running) return
            if (decoder != null) deliver(session.poll(now()))
            handler.postDelayed(this, 50)
        }
    }

    private fun deliver(windows: List<Windower.Window>) {
        if (windows.isNotEmpty()) engine.onWindows(windows)
        val c = session.counts()
        lost = c.samplesLost
        val asm = session.assembler()
        line = "watch ${device?.address ?: ""} (${if (dataUuid == PMD_DATA) "Polar PMD" else "mujo"}): " +
            "device ${decoder?.rateHz() ?: 0.0} Hz, measured ${"%.2f".format(asm?.measuredRateHz() ?: 0.0)} Hz\n" +
            "plan: ${asm?.plan ?: "-"}\n" +
            "packets ${c.packetsReceived}: missing ${c.packetsMissing}, duplicate ${c.packetsDuplicate}, " +
            "late ${c.packetsLate}, reordered ${c.packetsReordered}, corrupt ${c.packetsCorrupt}\n" +
            "samples ${c.samplesReceived}, lost ${c.samplesLost}, gaps ${c.gaps}; reconnects $reconnects"
    }

    // ------------------------------------------------------------------ scan and connect
    private fun scanner() = adapter.bluetoothLeScanner

    private val scanCallback = object : ScanCallback() {
        override fun onScanResult(callbackType: Int, result: ScanResult) {
            val uuids = result.scanRecord?.serviceUuids?.map { it.uuid } ?: emptyList()
            val name = result.scanRecord?.deviceName ?: result.device.name ?: ""
            val match = if (target.isEmpty()) MUJO_SERVICE in uuids || PMD_SERVICE in uuids || name.startsWith("Polar")
            else name.equals(target, ignoreCase = true) || result.device.address.equals(target, ignoreCase = true)
            if (match && device == null) handler.post {
                if (device != null) return@post
                scanner()?.stopScan(this)
                device = result.device
                connect()
            }
        }

        override fun onScanFailed(errorCode: Int) {
            handler.post { fail("BLE scan failed (error $errorCode)") }
        }
    }

    private fun scan() {
        val settings = ScanSettings.Builder().setScanMode(ScanSettings.SCAN_MODE_LOW_LATENCY).build()
        scanner()?.startScan(null, settings, scanCallback) ?: run { line = "Bluetooth LE scanner unavailable" }
    }

    private fun connect() {
        val d = device ?: return
        line = "connecting to ${d.address}"
        gatt = d.connectGatt(context, false, callback, BluetoothDevice.TRANSPORT_LE)
    }

    private fun linkLost(g: BluetoothGatt) {
        g.close()
        if (gatt === g) gatt = null
        decoder = null
        ops.clear()
        busy = false
        if (!running) return
        failures++
        reconnects++
        val delayS = if (failures == 1) 0.0 else minOf(2.0, 0.1 * (1 shl minOf(failures - 2, 5)))
        line = "link lost; reconnecting in ${"%.1f".format(delayS)} s"
        handler.postDelayed({ if (running) connect() }, (delayS * 1000).toLong())
    }

    // ------------------------------------------------------------------ GATT operations, one at a time
    private fun enqueue(op: () -> Boolean) {
        ops.addLast(op)
        if (!busy) next()
    }

    private fun next() {
        val op = ops.pollFirst() ?: run { busy = false; return }
        busy = true
        if (!op()) fail("a GATT operation could not be started")
    }

    private fun done() {
        busy = false
        next()
    }

    private fun fail(message: String) {
        line = "error: $message"
        running = false
        gatt?.disconnect()
        engine.reportError(message)
    }

    private fun write(g: BluetoothGatt, ch: BluetoothGattCharacteristic, value: ByteArray): Boolean =
        if (Build.VERSION.SDK_INT >= 33) {
            g.writeCharacteristic(ch, value, BluetoothGattCharacteristic.WRITE_TYPE_DEFAULT) == BluetoothStatusCodes.SUCCESS
        } else {
            @Suppress("DEPRECATION")
            run {
                ch.writeType = BluetoothGattCharacteristic.WRITE_TYPE_DEFAULT
                ch.value = value
                g.writeCharacteristic(ch)
            }
        }

    private fun subscribe(g: BluetoothGatt, ch: BluetoothGattCharacteristic, indicate: Boolean): Boolean {
        g.setCharacteristicNotification(ch, true)
        val cccd = ch.getDescriptor(CCCD) ?: return false
        val value = if (indicate) BluetoothGattDescriptor.ENABLE_INDICATION_VALUE
        else BluetoothGattDescriptor.ENABLE_NOTIFICATION_VALUE
        return if (Build.VERSION.SDK_INT >= 33) {
            g.writeDescriptor(cccd, value) == BluetoothStatusCodes.SUCCESS
        } else {
            @Suppress("DEPRECATION")
            run {
                cccd.value = value
                g.writeDescriptor(cccd)
            }
        }
    }

    private fun read(g: BluetoothGatt, ch: BluetoothGattCharacteristic, then: (ByteArray) -> Unit): Boolean {
        onRead = then
        return g.readCharacteristic(ch)
    }

    private fun controlCharacteristic(g: BluetoothGatt): BluetoothGattCharacteristic? =
        g.getService(MUJO_SERVICE)?.getCharacteristic(MUJO_CONTROL) ?: g.getService(PMD_SERVICE)?.getCharacteristic(PMD_CONTROL)

    // ------------------------------------------------------------------ starting the stream
    private fun setUp(g: BluetoothGatt) {
        val mujo = g.getService(MUJO_SERVICE)
        val pmd = g.getService(PMD_SERVICE)
        when {
            mujo != null -> startMujo(g, mujo.getCharacteristic(MUJO_DATA), mujo.getCharacteristic(MUJO_CONTROL))
            pmd != null -> startPolar(g, pmd.getCharacteristic(PMD_DATA), pmd.getCharacteristic(PMD_CONTROL))
            else -> fail("${g.device.address} offers neither the mujo service nor Polar PMD")
        }
    }

    /** Subscribe, read the status (its ATT MTU sizes the batch), START at the model's rate, read what was applied. */
    private fun startMujo(g: BluetoothGatt, data: BluetoothGattCharacteristic, control: BluetoothGattCharacteristic) {
        dataUuid = MUJO_DATA
        var deviceMtu: Int? = null
        val rate = sidecar.spec.rateHz
        enqueue { subscribe(g, data, indicate = false) }
        enqueue { read(g, control) { deviceMtu = runCatching { MujoProtocol.DeviceStatus.decode(it).attMtu }.getOrNull() } }
        enqueue {
            val mtu = MujoProtocol.usableAttMtu(attMtu, deviceMtu)
            val batch = try {
                MujoProtocol.chooseBatch(0, rate, mtu, MujoProtocol.FORMAT_IMU6)
            } catch (e: MujoException) {
                fail(e.message ?: "MTU too small")
                return@enqueue true
            }
            write(g, control, MujoProtocol.startCommand(rate, MujoProtocol.FORMAT_IMU6, 8, 2000, batch))
        }
        enqueue {
            read(g, control) { bytes ->
                val st = MujoProtocol.DeviceStatus.decode(bytes)
                if (st.error != 0 || st.state != 1) {
                    fail("device refused START (${st.errorName()}): asked $rate Hz at ATT MTU $attMtu")
                } else {
                    begin(MujoProtocol.MujoDecoder(st.rateHz, st.fmt))
                }
            }
        }
    }

    /** Indications on the control point, notifications on data; settings → start at the rate nearest the model's. */
    private fun startPolar(g: BluetoothGatt, data: BluetoothGattCharacteristic, control: BluetoothGattCharacteristic) {
        dataUuid = PMD_DATA
        enqueue { subscribe(g, control, indicate = true) }
        enqueue { subscribe(g, data, indicate = false) }
        onPolarResponse = { settings ->
            val rates = settings.settings[PolarPmd.SAMPLE_RATE]?.map { it.toInt() } ?: listOf(sidecar.spec.rateHz.toInt())
            val ranges = settings.settings[PolarPmd.RANGE]?.map { it.toInt() } ?: listOf(8)
            val want = sidecar.spec.rateHz
            val rate = rates.minWith(compareBy<Int>({ Math.abs(it - want) }, { -it }))
            val range = ranges.filter { it >= 8 }.minOrNull() ?: ranges.max()
            val command = PolarPmd.startCommand(rate, range, 16, 3)
            onPolarResponse = { resp ->
                if (!resp.ok()) {
                    fail("Polar device refused the ACC stream (${resp.errorName()}) at $rate Hz, ±$range g")
                } else {
                    val applied = resp.applied(PolarPmd.parseSettings(command, 2))
                    begin(PolarPmd.PolarDecoder(rate.toDouble(), applied[0], applied[1].toInt()))
                }
            }
            enqueue { write(g, control, command) }
        }
        enqueue { write(g, control, PolarPmd.getSettingsCommand()) }
    }

    /** The device applied its settings: the session (re)starts with this decoder; held notifications follow. */
    private fun begin(d: Decoder) {
        try {
            deliver(session.beginStream(d, now()))  // refuses a device that lacks channels the model uses
        } catch (e: MujoException) {
            fail(e.message ?: "device does not fit the model")
            return
        }
        decoder = d
        failures = 0
        for ((bytes, t) in early) deliver(session.onNotification(bytes, t))
        early.clear()
    }

    private fun onChanged(uuid: UUID, value: ByteArray, t: Double) {
        when (uuid) {
            dataUuid -> if (decoder == null) {
                if (early.size < 1024) early.add(value to t)
            } else {
                deliver(session.onNotification(value, t))
            }
            PMD_CONTROL -> try {
                onPolarResponse?.invoke(PolarPmd.ControlResponse.decode(value))
            } catch (e: MujoException) {
                fail(e.message ?: "bad PMD response")
            }
        }
    }

    private val callback = object : BluetoothGattCallback() {
        override fun onConnectionStateChange(g: BluetoothGatt, status: Int, newState: Int) {
            handler.post {
                if (newState == BluetoothProfile.STATE_CONNECTED) {
                    line = "connected to ${g.device.address}; negotiating"
                    ops.clear()
                    busy = false
                    enqueue { g.requestMtu(247) }
                } else if (newState == BluetoothProfile.STATE_DISCONNECTED) {
                    linkLost(g)
                }
            }
        }

        override fun onMtuChanged(g: BluetoothGatt, mtu: Int, status: Int) {
            handler.post {
                attMtu = if (status == BluetoothGatt.GATT_SUCCESS) mtu else MujoProtocol.DEFAULT_ATT_MTU
                if (!g.discoverServices()) fail("service discovery could not start")
            }
        }

        override fun onServicesDiscovered(g: BluetoothGatt, status: Int) {
            handler.post {
                busy = false
                if (status == BluetoothGatt.GATT_SUCCESS) setUp(g) else fail("service discovery failed ($status)")
            }
        }

        override fun onDescriptorWrite(g: BluetoothGatt, d: BluetoothGattDescriptor, status: Int) {
            handler.post { if (status == BluetoothGatt.GATT_SUCCESS) done() else fail("subscribing failed ($status)") }
        }

        override fun onCharacteristicWrite(g: BluetoothGatt, ch: BluetoothGattCharacteristic, status: Int) {
            handler.post { if (status == BluetoothGatt.GATT_SUCCESS) done() else fail("write failed ($status)") }
        }

        override fun onCharacteristicRead(g: BluetoothGatt, ch: BluetoothGattCharacteristic, value: ByteArray, status: Int) {
            val copy = value.clone()
            handler.post { readDone(copy, status) }
        }

        @Deprecated("Android 12 and older")
        override fun onCharacteristicRead(g: BluetoothGatt, ch: BluetoothGattCharacteristic, status: Int) {
            @Suppress("DEPRECATION") val copy = ch.value?.clone() ?: ByteArray(0)
            handler.post { readDone(copy, status) }
        }

        override fun onCharacteristicChanged(g: BluetoothGatt, ch: BluetoothGattCharacteristic, value: ByteArray) {
            val t = now()  // arrival time on the host clock: the callback only timestamps and hands over
            val copy = value.clone()
            handler.post { onChanged(ch.uuid, copy, t) }
        }

        @Deprecated("Android 12 and older")
        override fun onCharacteristicChanged(g: BluetoothGatt, ch: BluetoothGattCharacteristic) {
            val t = now()
            @Suppress("DEPRECATION") val copy = ch.value?.clone() ?: return
            handler.post { onChanged(ch.uuid, copy, t) }
        }
    }

    private fun readDone(value: ByteArray, status: Int) {
        val then = onRead
        onRead = null
        if (status != BluetoothGatt.GATT_SUCCESS) {
            fail("read failed ($status)")
            return
        }
        try {
            then?.invoke(value)
        } catch (e: MujoException) {
            fail(e.message ?: "bad status record")
            return
        }
        done()
    }

    companion object {
        val MUJO_SERVICE: UUID = UUID.fromString(MujoProtocol.SERVICE_UUID)
        val MUJO_CONTROL: UUID = UUID.fromString(MujoProtocol.CONTROL_UUID)
        val MUJO_DATA: UUID = UUID.fromString(MujoProtocol.DATA_UUID)
        val PMD_SERVICE: UUID = UUID.fromString(PolarPmd.SERVICE_UUID)
        val PMD_CONTROL: UUID = UUID.fromString(PolarPmd.CONTROL_UUID)
        val PMD_DATA: UUID = UUID.fromString(PolarPmd.DATA_UUID)
        val CCCD: UUID = UUID.fromString("00002902-0000-1000-8000-00805f9b34fb")
    }
}
