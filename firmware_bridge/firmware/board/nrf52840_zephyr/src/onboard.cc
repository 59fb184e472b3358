/*
 * NOT BUILT HERE — on-board classification with TensorFlow Lite Micro (see ../README.md).
 *
 * Written against TFLM's public C++ API (tensorflow/lite/micro: GetModel, MicroMutableOpResolver,
 * MicroInterpreter). The model files come from `mujo-edge export --format tflm --int8` and are copied into
 * model/ (MODEL_STEM below): <stem>_model.cc/.h (the flatbuffer as an aligned array), <stem>_spec.h (window,
 * hop, normalization, input/output quantization, labels, the measured arena) and <stem>_ops.h (the op list).
 * The window assembler and input quantization that feed it are the tested portable C in ../../src/mujo_window.c.
 */
#include <cstring>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#include "model/dscnn_int8_tflm_model.h"
#include "model/dscnn_int8_tflm_ops.h"
#include "model/dscnn_int8_tflm_spec.h"

extern "C" {
#include "mujo_window.h"
#include "onboard.h"
}

namespace {
alignas(16) uint8_t tensor_arena[MUJO_TFLM_ARENA_BYTES]; /* measured at export (x 1.25, whole KB) */
tflite::MicroMutableOpResolver<MUJO_MODEL_NUM_OPS> resolver;
tflite::MicroInterpreter *interpreter = nullptr;
const uint8_t model_id[8] = MUJO_MODEL_ID;
}  // namespace

extern "C" int mujo_onboard_init(void) {
    const tflite::Model *model = tflite::GetModel(MUJO_MODEL_DATA);
    if (model->version() != TFLITE_SCHEMA_VERSION) return -1;
    if (mujo_register_ops(resolver) != kTfLiteOk) return -2;
    static tflite::MicroInterpreter interp(model, resolver, tensor_arena, sizeof tensor_arena);
    if (interp.AllocateTensors() != kTfLiteOk) return -3; /* arena too small: re-measure for your kernels */
    const TfLiteTensor *in = interp.input(0);
    const TfLiteTensor *out = interp.output(0);
    if (in->type != kTfLiteInt8 || in->bytes != (size_t)MUJO_SPEC_WINDOW * MUJO_SPEC_CHANNELS) return -4;
    if (out->type != kTfLiteInt8 || out->bytes != (size_t)MUJO_NUM_CLASSES) return -5;
    interpreter = &interp;
    return 0;
}

extern "C" int mujo_onboard_classify(const int8_t *window, uint8_t *class_index, float *probability) {
    if (interpreter == nullptr) return -1;
    TfLiteTensor *in = interpreter->input(0);
    memcpy(in->data.int8, window, in->bytes);
    if (interpreter->Invoke() != kTfLiteOk) return -2;
    const TfLiteTensor *out = interpreter->output(0);
    *class_index = mujo_top_class(out->data.int8, (uint8_t)MUJO_NUM_CLASSES, out->params.scale, out->params.zero_point,
                                  probability);
    return 0;
}

extern "C" void mujo_onboard_spec(mujo_window_spec_t *spec) {
    const mujo_window_spec_t s = MUJO_WINDOW_SPEC_INIT;
    *spec = s;
}

extern "C" size_t mujo_onboard_model_record(uint8_t out[MUJO_MODEL_RECORD_SIZE]) {
    return mujo_encode_model_record(out, (uint8_t)MUJO_NUM_CLASSES, (uint16_t)MUJO_SPEC_WINDOW, (uint16_t)MUJO_SPEC_HOP,
                                    MUJO_SPEC_RATE_MHZ, model_id);
}
