/* On-watch window assembler, int8 input quantization and result records (see mujo_window.h, PROTOCOL.md §10). */
#include "mujo_window.h"

#include <math.h>
#include <string.h>

double mujo_channel_lsb(uint8_t format, uint8_t ranges, uint8_t channel) {
    uint8_t acc_g;
    uint16_t gyro_dps;
    size_t channels = mujo_sample_size(format) / 2u;
    if (channels == 0u || channel >= channels || mujo_unpack_ranges(ranges, &acc_g, &gyro_dps) != MUJO_OK) return 0.0;
    /* same operations, same order as the Python decoder (protocol.si_scale), in double */
    if (channel < 3u) return (double)acc_g * 9.80665 / 32768.0;
    return (double)gyro_dps * 3.14159265358979323846 / 180.0 / 32768.0;
}

int8_t mujo_quantize_input(float x, float mean, float std, float scale, int32_t zero_point) {
    float xn = (x - mean) / std;
    float r = rintf(xn / scale); /* round half to even in the default rounding mode, like numpy.rint */
    if (r != r) return (int8_t)zero_point; /* NaN */
    float v = r + (float)zero_point;
    if (v >= 127.0f) return 127;
    if (v <= -128.0f) return -128;
    return (int8_t)v; /* an integer in (-128, 127): exact */
}

int mujo_window_init(mujo_window_t *w, const mujo_window_spec_t *spec, uint8_t format, uint8_t ranges, int8_t *ring,
                     size_t ring_len) {
    uint8_t acc_g;
    uint16_t gyro_dps;
    if (w == NULL || spec == NULL || ring == NULL) return MUJO_ERR_BAD_LENGTH;
    size_t channels = mujo_sample_size(format) / 2u;
    if (channels == 0u || spec->channels != channels) return MUJO_ERR_UNSUPPORTED_FORMAT;
    if (mujo_unpack_ranges(ranges, &acc_g, &gyro_dps) != MUJO_OK) return MUJO_ERR_UNSUPPORTED_RANGE;
    if (spec->window < 2u || spec->hop < 1u || ring_len < (size_t)spec->window * channels) return MUJO_ERR_BAD_LENGTH;
    if (!(spec->scale > 0.0f) || spec->zero_point < -128 || spec->zero_point > 127) return MUJO_ERR_BAD_LENGTH;
    for (size_t c = 0; c < channels; c++)
        if (!(spec->std[c] > 0.0f) || spec->mean[c] != spec->mean[c]) return MUJO_ERR_BAD_LENGTH;
    memset(w, 0, sizeof *w);
    w->spec = *spec;
    for (uint8_t c = 0; c < channels; c++) w->lsb[c] = mujo_channel_lsb(format, ranges, c);
    w->ring = ring;
    mujo_window_reset(w);
    return MUJO_OK;
}

void mujo_window_reset(mujo_window_t *w) {
    w->pos = 0u;
    w->filled = 0u;
    w->until = w->spec.window;
    w->started = 0u;
}

int mujo_window_push(mujo_window_t *w, const int16_t *counts, uint32_t index) {
    const mujo_window_spec_t *s = &w->spec;
    if (w->started && index != w->next_index) {
        mujo_window_reset(w);
        w->restarts++;
    }
    w->started = 1u;
    w->next_index = index + 1u;
    int8_t *slot = w->ring + (size_t)w->pos * s->channels;
    for (uint8_t c = 0; c < s->channels; c++) {
        float x = (float)((double)counts[c] * w->lsb[c]);
        slot[c] = mujo_quantize_input(x, s->mean[c], s->std[c], s->scale, s->zero_point);
    }
    w->pos = (w->pos + 1u) % s->window;
    if (w->filled < s->window) w->filled++;
    if (--w->until > 0u) return 0;
    w->until = s->hop;
    w->windows++;
    return 1;
}

size_t mujo_window_copy(const mujo_window_t *w, int8_t *out, size_t cap) {
    const mujo_window_spec_t *s = &w->spec;
    size_t n = (size_t)s->window * s->channels;
    if (cap < n || w->filled < s->window) return 0u;
    size_t first = (size_t)w->pos * s->channels; /* the oldest sample sits where the next one goes */
    memcpy(out, w->ring + first, n - first);
    memcpy(out + (n - first), w->ring, first);
    return n;
}

int8_t mujo_confidence_code(float p) {
    float r = rintf(p * 256.0f) - 128.0f;
    if (r != r) return -128;
    if (r >= 127.0f) return 127;
    if (r <= -128.0f) return -128;
    return (int8_t)r;
}

size_t mujo_encode_result(uint8_t *out, size_t cap, uint8_t flags, uint16_t seq, uint32_t t_end_us, uint8_t class_index,
                          uint8_t num_classes, float confidence) {
    size_t len = MUJO_RESULT_HEADER_SIZE + ((flags & MUJO_RESULT_FLAG_FLOAT) ? 4u : 1u);
    if (out == NULL || cap < len || (flags & (uint8_t)~MUJO_RESULT_FLAG_FLOAT)) return 0u;
    out[0] = (uint8_t)MUJO_PROTOCOL_VERSION;
    out[1] = flags;
    mujo_put_u16(out + 2, seq);
    mujo_put_u32(out + 4, t_end_us);
    out[8] = class_index;
    out[9] = num_classes;
    if (flags & MUJO_RESULT_FLAG_FLOAT) {
        uint32_t bits;
        memcpy(&bits, &confidence, sizeof bits);
        mujo_put_u32(out + MUJO_RESULT_HEADER_SIZE, bits);
    } else {
        out[MUJO_RESULT_HEADER_SIZE] = (uint8_t)mujo_confidence_code(confidence);
    }
    uint16_t crc = mujo_crc16(out, 10u, 0xFFFFu);
    crc = mujo_crc16(out + MUJO_RESULT_HEADER_SIZE, len - MUJO_RESULT_HEADER_SIZE, crc);
    mujo_put_u16(out + 10, crc);
    return len;
}

uint8_t mujo_top_class(const int8_t *logits, uint8_t k, float scale, int32_t zero_point, float *probability) {
    if (k == 0u) {
        if (probability) *probability = 0.0f;
        return 0u;
    }
    uint8_t top = 0u;
    for (uint8_t i = 1; i < k; i++)
        if (logits[i] > logits[top]) top = i;
    float best = ((float)logits[top] - (float)zero_point) * scale, sum = 0.0f;
    for (uint8_t i = 0; i < k; i++) sum += expf(((float)logits[i] - (float)zero_point) * scale - best);
    if (probability) *probability = 1.0f / sum;
    return top;
}

size_t mujo_encode_model_record(uint8_t out[MUJO_MODEL_RECORD_SIZE], uint8_t num_classes, uint16_t window, uint16_t hop,
                                uint32_t rate_mhz, const uint8_t model_id[8]) {
    out[0] = (uint8_t)MUJO_PROTOCOL_VERSION;
    out[1] = 1u; /* a model is present: the device can classify on board */
    out[2] = num_classes;
    out[3] = 0u;
    mujo_put_u16(out + 4, window);
    mujo_put_u16(out + 6, hop);
    mujo_put_u32(out + 8, rate_mhz);
    memcpy(out + 12, model_id, 8u);
    return MUJO_MODEL_RECORD_SIZE;
}
