/* NOT BUILT HERE — C interface of the TensorFlow Lite Micro glue in onboard.cc (see ../README.md). */
#ifndef MUJO_ONBOARD_H
#define MUJO_ONBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "mujo_window.h"

/* Build the interpreter in the static arena; 0 or a negative step number that failed. */
int mujo_onboard_init(void);
/* One int8 window (MUJO_SPEC_WINDOW x MUJO_SPEC_CHANNELS, from mujo_window_copy) → class and softmax probability. */
int mujo_onboard_classify(const int8_t *window, uint8_t *class_index, float *probability);
/* The model's window spec (MUJO_WINDOW_SPEC_INIT of the exported <model>_spec.h). */
void mujo_onboard_spec(mujo_window_spec_t *spec);
/* The 20-byte model record read from the result characteristic. */
size_t mujo_onboard_model_record(uint8_t out[MUJO_MODEL_RECORD_SIZE]);

#endif
