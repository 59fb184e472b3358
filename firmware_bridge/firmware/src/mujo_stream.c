/* Watch-side sample ring, rate control and batching (see mujo_stream.h). */
#include "mujo_stream.h"

#include <string.h>

/* Largest batch any ATT MTU allows (MTU 517: 41 IMU6 or 83 ACC3 samples); poll() keeps one batch on the stack. */
#define MUJO_MAX_BATCH 83u

int mujo_ring_init(mujo_ring_t *r, mujo_sample_t *storage, uint32_t cap) {
    if (cap == 0u || (cap & (cap - 1u)) != 0u || storage == NULL) return -1;
    r->buf = storage;
    r->cap = cap;
    atomic_init(&r->wr, 0u);
    atomic_init(&r->rd, 0u);
    atomic_init(&r->dropped, 0u);
    return MUJO_OK;
}

/* Producer. Acquire on `rd`: the consumer's reads of a slot are done before the slot is reused.
 * Release on `wr`: the sample copy is visible before the consumer can see the new index. */
int mujo_ring_push(mujo_ring_t *r, const mujo_sample_t *s) {
    uint32_t wr = atomic_load_explicit(&r->wr, memory_order_relaxed); /* only we write it */
    if (wr - atomic_load_explicit(&r->rd, memory_order_acquire) >= r->cap) {
        atomic_store_explicit(&r->dropped, atomic_load_explicit(&r->dropped, memory_order_relaxed) + 1u,
                              memory_order_relaxed); /* single writer: no read-modify-write needed */
        return 0;
    }
    r->buf[wr & (r->cap - 1u)] = *s;
    atomic_store_explicit(&r->wr, wr + 1u, memory_order_release);
    return 1;
}

/* Consumer. Acquire on `wr` pairs with the producer's release: slots below it are fully written. */
uint32_t mujo_ring_count(mujo_ring_t *r) {
    return atomic_load_explicit(&r->wr, memory_order_acquire) - atomic_load_explicit(&r->rd, memory_order_relaxed);
}

uint32_t mujo_ring_dropped(mujo_ring_t *r) { return atomic_load_explicit(&r->dropped, memory_order_relaxed); }

const mujo_sample_t *mujo_ring_peek(mujo_ring_t *r, uint32_t i) {
    if (i >= mujo_ring_count(r)) return NULL;
    return &r->buf[(atomic_load_explicit(&r->rd, memory_order_relaxed) + i) & (r->cap - 1u)];
}

/* Consumer. Release on `rd`: our reads of the discarded slots happen before the producer may reuse them. */
void mujo_ring_drop(mujo_ring_t *r, uint32_t n) {
    uint32_t c = mujo_ring_count(r);
    uint32_t rd = atomic_load_explicit(&r->rd, memory_order_relaxed);
    atomic_store_explicit(&r->rd, rd + (n < c ? n : c), memory_order_release);
}

void mujo_stream_init(mujo_stream_t *s, mujo_sample_t *storage, uint32_t cap, const uint32_t *rates_mhz,
                      size_t n_rates, uint16_t att_mtu) {
    memset(s, 0, sizeof *s);
    (void)mujo_ring_init(&s->ring, storage, cap);
    s->rates_mhz = rates_mhz;
    s->n_rates = n_rates;
    s->att_mtu = att_mtu;
    s->format = MUJO_FORMAT_IMU6;
    (void)mujo_pack_ranges(8u, 2000u, &s->ranges);
}

int mujo_stream_control(mujo_stream_t *s, const uint8_t *data, size_t len, uint64_t now_us) {
    uint8_t op = 0;
    mujo_start_t cmd;
    int err = mujo_parse_command(data, len, &op, &cmd);
    if (err == MUJO_OK && op == MUJO_OP_STOP) {
        s->state = MUJO_STATE_IDLE;
        mujo_ring_drop(&s->ring, mujo_ring_count(&s->ring));
    } else if (err == MUJO_OK) {
        uint32_t rate = 0;
        uint8_t batch = 0;
        if ((cmd.format & MUJO_FORMAT_ON_BOARD) && !s->on_board) err = MUJO_ERR_UNSUPPORTED_FORMAT;
        else err = mujo_negotiate(&cmd, s->rates_mhz, s->n_rates, s->att_mtu, &rate, &batch);
        if (err == MUJO_OK && batch > MUJO_MAX_BATCH) err = MUJO_ERR_BATCH_TOO_LARGE;
        if (err == MUJO_OK) {
            s->format = cmd.format;
            s->ranges = cmd.ranges;
            s->rate_mhz = rate;
            s->batch = batch;
            s->seq = 0u;
            s->t0_us = now_us;
            s->next_k = 0u;
            s->missed = 0u;
            mujo_ring_drop(&s->ring, mujo_ring_count(&s->ring));
            s->state = MUJO_STATE_STREAMING;
        }
    }
    s->error = (uint8_t)err;
    return err;
}

size_t mujo_stream_status(const mujo_stream_t *s, uint64_t now_us, uint8_t out[MUJO_STATUS_SIZE]) {
    mujo_status_t st = {s->state, s->error, s->format, s->ranges, s->batch, s->att_mtu, s->rate_mhz,
                        (uint32_t)now_us};
    return mujo_encode_status(out, &st);
}

/* The sample layout of the stream (the applied format without the on-board bit). */
static uint8_t stream_format(const mujo_stream_t *s) { return (uint8_t)(s->format & (uint8_t)~MUJO_FORMAT_ON_BOARD); }

static uint64_t due_us(const mujo_stream_t *s, uint32_t k) {
    return s->t0_us + ((uint64_t)k * 1000000000ull) / s->rate_mhz;
}

int mujo_stream_offer(mujo_stream_t *s, const int16_t *values, uint64_t t_us) {
    if (s->state != MUJO_STATE_STREAMING || t_us < due_us(s, s->next_k)) return 0;
    uint64_t k64 = ((t_us - s->t0_us) * (uint64_t)s->rate_mhz) / 1000000000ull;
    uint32_t k = (uint32_t)k64;
    if (k < s->next_k) k = s->next_k; /* rounding at the slot boundary */
    s->missed += k - s->next_k;
    s->next_k = k + 1u;
    s->last_index = k;
    if (s->format == MUJO_FORMAT_ON_BOARD) return 1; /* results only: the window assembler takes it */
    mujo_sample_t smp;
    memcpy(smp.v, values, sizeof(int16_t) * (mujo_sample_size(stream_format(s)) / 2u));
    smp.t_us = (uint32_t)t_us;
    smp.index = k;
    return mujo_ring_push(&s->ring, &smp);
}

size_t mujo_stream_poll(mujo_stream_t *s, uint8_t *out, size_t cap) {
    uint32_t n = mujo_ring_count(&s->ring);
    if (s->state != MUJO_STATE_STREAMING || n == 0u || s->format == MUJO_FORMAT_ON_BOARD) return 0u;
    const mujo_sample_t *first = mujo_ring_peek(&s->ring, 0u);
    uint32_t run = 1u;
    while (run < n && run < s->batch && mujo_ring_peek(&s->ring, run)->index == first->index + run) run++;
    if (run < s->batch && run == n) return 0u; /* wait for more samples */
    int16_t values[MUJO_MAX_BATCH * MUJO_MAX_CHANNELS];
    size_t ch = mujo_sample_size(stream_format(s)) / 2u;
    for (uint32_t i = 0; i < run; i++) memcpy(values + i * ch, mujo_ring_peek(&s->ring, i)->v, ch * sizeof(int16_t));
    size_t len = mujo_encode_packet(out, cap, stream_format(s), s->ranges, s->seq, first->t_us, values, (uint8_t)run);
    if (len == 0u) return 0u;
    mujo_ring_drop(&s->ring, run);
    s->seq++;
    s->packets++;
    return len;
}
