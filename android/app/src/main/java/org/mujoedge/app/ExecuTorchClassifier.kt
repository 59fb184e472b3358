package org.mujoedge.app

import org.mujoedge.core.Sidecar
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

/**
 * The exported model (`mujo-edge export --int8 --format executorch`) in ExecuTorch's Android runtime. The `.pte`
 * carries its XNNPACK-delegated graph; the AAR links the XNNPACK backend, so nothing is configured here.
 *
 * Input is the sidecar's contract: the normalized window `(1, W, C)` as float32 (int8 `.pte` files quantize inside
 * the graph), or int8 / uint8 where the sidecar says so; output is `(1, K)` logits.
 */
class ExecuTorchClassifier(modelPath: String, val sidecar: Sidecar) : AutoCloseable {
    private val module: Module = Module.load(modelPath)

    init {
        module.loadMethod("forward")  // load now, not on the first window
    }

    /** Class probabilities of one window `(W, C)` in SI units, and the seconds `forward` took. */
    fun predict(window: Array<FloatArray>): Pair<FloatArray, Double> {
        val input = sidecar.modelInput(window)
        val tensor = when {
            input.floats != null -> Tensor.fromBlob(input.floats, input.shape)
            sidecar.input.dtype == "uint8" -> Tensor.fromBlobUnsigned(input.bytes, input.shape)
            else -> Tensor.fromBlob(input.bytes, input.shape)
        }
        val t0 = System.nanoTime()
        val out = module.forward(EValue.from(tensor))[0].toTensor()
        val seconds = (System.nanoTime() - t0) / 1e9
        val logits = when (sidecar.output.dtype) {
            "float32" -> sidecar.logits(out.dataAsFloatArray, null)
            "uint8" -> sidecar.logits(null, out.dataAsUnsignedByteArray)
            else -> sidecar.logits(null, out.dataAsByteArray)
        }
        return Sidecar.softmax(logits) to seconds
    }

    override fun close() = module.destroy()
}
