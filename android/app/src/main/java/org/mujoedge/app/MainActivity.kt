package org.mujoedge.app

import android.Manifest
import android.net.Uri
import android.os.Build
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.provider.OpenableColumns
import android.view.WindowManager
import android.widget.Button
import android.widget.EditText
import android.widget.ProgressBar
import android.widget.RadioGroup
import android.widget.TextView
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import java.io.File
import java.io.OutputStreamWriter
import java.security.MessageDigest
import org.mujoedge.core.MujoException
import org.mujoedge.core.Sidecar

/**
 * One screen: the model (bundled in assets or picked from storage, always with its sidecar), the source (phone
 * sensors or a BLE watch), start / stop, recording to the project's CSV format, and the live result: class,
 * probability bar, window rate, lost samples, inference time per window. Every error, a sidecar that does not fit
 * the device in particular, is shown in red; nothing is silently resampled or zero-filled.
 */
class MainActivity : AppCompatActivity() {
    private lateinit var modelText: TextView
    private lateinit var errorText: TextView
    private lateinit var labelText: TextView
    private lateinit var statsText: TextView
    private lateinit var bar: ProgressBar
    private lateinit var startStop: Button
    private lateinit var record: Button
    private var classifier: ExecuTorchClassifier? = null
    private var engine: LiveEngine? = null
    private var lastState: LiveState? = null
    private var recording = false
    private val ui = Handler(Looper.getMainLooper())

    private val pickModel = registerForActivityResult(ActivityResultContracts.OpenMultipleDocuments()) { uris ->
        if (uris.isNotEmpty()) loadPicked(uris)
    }
    private val createCsv = registerForActivityResult(ActivityResultContracts.CreateDocument("text/csv")) { uri ->
        if (uri != null) startRecording(uri)
    }
    private val askBle = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) { granted ->
        if (granted.values.all { it }) startSource() else showError("Bluetooth permissions were refused")
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        modelText = findViewById(R.id.model)
        errorText = findViewById(R.id.error)
        labelText = findViewById(R.id.label)
        statsText = findViewById(R.id.stats)
        bar = findViewById(R.id.probability)
        startStop = findViewById(R.id.startStop)
        record = findViewById(R.id.record)
        findViewById<Button>(R.id.pickModel).setOnClickListener { pickModel.launch(arrayOf("*/*")) }
        startStop.setOnClickListener { if (engine == null) start() else stop() }
        record.setOnClickListener {
            val e = engine
            if (e == null) {
                showError("start a source first")
            } else if (!recording) {
                createCsv.launch("mujo-recording.csv")
            } else {
                val rows = e.stopRecording()
                recording = false
                record.setText(R.string.record)
                showError("")
                statsText.append("\nrecording closed: $rows rows")
            }
        }
        loadBundled()
    }

    override fun onDestroy() {
        stop()
        classifier?.close()
        super.onDestroy()
    }

    // ------------------------------------------------------------------ model
    private fun loadBundled() {
        val names = assets.list("")?.toSet() ?: emptySet()
        if ("model.pte" !in names || "model.pte.json" !in names) return
        val file = File(filesDir, "model.pte")
        assets.open("model.pte").use { input -> file.outputStream().use { input.copyTo(it) } }
        load(file, assets.open("model.pte.json").bufferedReader().readText(), "assets/model.pte")
    }

    private fun displayName(uri: Uri): String =
        contentResolver.query(uri, arrayOf(OpenableColumns.DISPLAY_NAME), null, null, null)?.use { c ->
            if (c.moveToFirst()) c.getString(0) else null
        } ?: uri.lastPathSegment ?: ""

    private fun loadPicked(uris: List<Uri>) {
        val named = uris.associateBy { displayName(it) }
        val pte = named.keys.firstOrNull { it.endsWith(".pte") }
        val json = named.keys.firstOrNull { it.endsWith(".json") }
        if (pte == null || json == null) {
            showError("pick both the .pte file and its sidecar (.pte.json); got ${named.keys}")
            return
        }
        val file = File(filesDir, "picked.pte")
        contentResolver.openInputStream(named.getValue(pte))!!.use { input -> file.outputStream().use { input.copyTo(it) } }
        val text = contentResolver.openInputStream(named.getValue(json))!!.use { it.bufferedReader().readText() }
        load(file, text, pte)
    }

    /** Parses and checks the sidecar (and the model file's sha256 against it), then loads the model. */
    private fun load(file: File, sidecarText: String, name: String) {
        stop()
        classifier?.close()
        classifier = null
        try {
            val sidecar = Sidecar.parse(sidecarText)
            val digest = MessageDigest.getInstance("SHA-256").digest(file.readBytes()).joinToString("") { "%02x".format(it) }
            if (digest != sidecar.sha256) {
                throw MujoException("$name: sha256 ${digest.take(16)}... differs from ${sidecar.sha256.take(16)}... recorded in" +
                    " its sidecar (the wrong sidecar, or the file was replaced)")
            }
            classifier = ExecuTorchClassifier(file.absolutePath, sidecar)
            val s = sidecar.spec
            modelText.text = "model: $name (${sidecar.backend}, ${sidecar.precision}, input ${sidecar.input.dtype})\n" +
                "spec: ${s.rateHz} Hz, window ${s.window} (${"%.2f".format(s.windowSeconds())} s), hop ${s.hop}, " +
                "${s.channels.joinToString(" ")}\nclasses: ${sidecar.labelNames.joinToString(", ")}"
            showError("")
        } catch (e: Exception) {
            modelText.setText(R.string.no_model)
            showError("cannot use $name: ${e.message}")
        }
    }

    // ------------------------------------------------------------------ sources
    private fun start() {
        if (classifier == null) {
            showError(getString(R.string.no_model))
            return
        }
        if (findViewById<RadioGroup>(R.id.source).checkedRadioButtonId == R.id.sourceWatch) {
            askBle.launch(if (Build.VERSION.SDK_INT >= 31) {
                arrayOf(Manifest.permission.BLUETOOTH_SCAN, Manifest.permission.BLUETOOTH_CONNECT)
            } else {
                arrayOf(Manifest.permission.ACCESS_FINE_LOCATION)
            })
        } else {
            startSource()
        }
    }

    private fun startSource() {
        val clf = classifier ?: return
        val e = LiveEngine(clf, ::show, ::showError)
        try {
            val watch = findViewById<RadioGroup>(R.id.source).checkedRadioButtonId == R.id.sourceWatch
            val src = if (watch) {
                BleWatchSource(this, clf.sidecar, e, findViewById<EditText>(R.id.watchName).text.toString().trim())
            } else {
                PhoneSource(this, clf.sidecar, e)
            }
            e.source = src
            src.start()
        } catch (ex: MujoException) {  // a sidecar / device mismatch, no sensor, Bluetooth off: shown, not worked around
            e.close()
            showError(ex.message ?: ex.toString())
            return
        }
        engine = e
        showError("")
        startStop.setText(R.string.stop)
        window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        ui.post(refresh)
    }

    private fun stop() {
        val e = engine ?: return
        engine = null
        e.close()
        recording = false
        record.setText(R.string.record)
        startStop.setText(R.string.start)
        window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
    }

    private fun startRecording(uri: Uri) {
        val e = engine ?: return
        val format = e.source?.recordingFormat()
        if (format == null) {
            showError("the watch has not started streaming yet; try again in a moment")
            return
        }
        val out = OutputStreamWriter(contentResolver.openOutputStream(uri)!!, Charsets.UTF_8)
        e.startRecording(out, format.first, format.second, classifier!!.sidecar.spec.placement)
        recording = true
        record.setText(R.string.stop_recording)
    }

    // ------------------------------------------------------------------ display
    private val refresh = object : Runnable {  // source details (connection state, counts) also between windows
        override fun run() {
            val e = engine ?: return
            renderStats(lastState, e.source?.detail() ?: "")
            ui.postDelayed(this, 500)
        }
    }

    private fun show(state: LiveState) {
        lastState = state
        labelText.text = state.label ?: "NULL (${"%.0f".format(state.confidence * 100)} % < ${"%.0f".format(LiveEngine.REJECT_BELOW * 100)} %)"
        bar.progress = (state.confidence * 1000).toInt()
        renderStats(state, state.detail)
    }

    private fun renderStats(state: LiveState?, detail: String) {
        val head = state?.let {
            "windows ${"%.2f".format(it.windowsPerS)}/s · inference ${"%.2f".format(it.inferenceMs)} ms/window · " +
                "lost samples ${it.lostSamples}\n"
        } ?: ""
        statsText.text = head + detail
    }

    private fun showError(message: String) {
        errorText.text = message
    }
}
