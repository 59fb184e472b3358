/*
 * Watch-side streaming: a lock-free single-producer/single-consumer sample ring buffer, rate
 * control on the device clock, and batching into protocol packets. C11 (<stdatomic.h>).
 *
 *   sensor ISR / timer      mujo_stream_offer(s, values, t_us)   keeps samples on the rate schedule
 *   BLE task                mujo_stream_poll(s, buf, cap)        one packet when a batch is ready
 *   control write           mujo_stream_control(s, data, len, now_us)
 *   control read            mujo_stream_status(s, now_us, out)
 *
 * Rate control: sample k of a stream is due at t0 + k * 1e9 / rate_mhz µs (64-bit arithmetic, no
 * accumulated rounding). A sensor running faster than the stream rate is decimated by this schedule;
 * a timer-driven sensor simply offers one sample per tick. Samples keep their measured timestamp.
 * Packets only batch samples with consecutive schedule indices: a missed slot or a ring overflow ends
 * the packet early, so the host sees the hole in the timestamps (never silently bridged).
 *
 * Threading. The ring alone is safe without a lock for exactly one producer (mujo_ring_push, called by
 * mujo_stream_offer) and one consumer (mujo_ring_peek/mujo_ring_drop, called by mujo_stream_poll) on
 * different threads or an ISR and a thread: the indices are C11 atomics, the producer publishes `wr`
 * with release order after copying the sample and the consumer reads it with acquire order before
 * reading the slot (and symmetrically for `rd`), so neither side sees a slot half written.
 * mujo_stream_control is NOT a third party of that protocol: it resets the schedule that
 * mujo_stream_offer reads and discards ring entries, i.e. it is a second consumer. Callers must
 * serialize mujo_stream_control and mujo_stream_status with both mujo_stream_offer and
 * mujo_stream_poll (the Zephyr glue holds one k_mutex around every mujo_stream_* call; with an ISR
 * producer, use irq_lock around offer and control instead).
 */
#ifndef MUJO_STREAM_H
#define MUJO_STREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mujo_imu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int16_t v[MUJO_MAX_CHANNELS]; /* acc x,y,z, gyro x,y,z (raw counts) */
    uint32_t t_us;                /* device clock when measured */
    uint32_t index;               /* schedule index k */
} mujo_sample_t;

/* SPSC ring: the producer only writes `wr` and `dropped`, the consumer only writes `rd`; capacity is a
 * power of 2; the free-running 32-bit indices wrap (count = wr - rd). See "Threading" above. */
typedef struct {
    mujo_sample_t *buf;
    uint32_t cap;
    _Atomic uint32_t wr;
    _Atomic uint32_t rd;
    _Atomic uint32_t dropped; /* samples refused because the ring was full */
} mujo_ring_t;

int mujo_ring_init(mujo_ring_t *r, mujo_sample_t *storage, uint32_t cap); /* MUJO_OK or -1 (cap not 2^n) */
int mujo_ring_push(mujo_ring_t *r, const mujo_sample_t *s);               /* 1 stored, 0 full (counted) */
uint32_t mujo_ring_count(mujo_ring_t *r);                                  /* consumer side */
uint32_t mujo_ring_dropped(mujo_ring_t *r);                                /* any thread */
const mujo_sample_t *mujo_ring_peek(mujo_ring_t *r, uint32_t i);         /* i-th oldest, NULL if absent */
void mujo_ring_drop(mujo_ring_t *r, uint32_t n);                          /* consumer: discard n oldest */

typedef struct {
    mujo_ring_t ring;
    const uint32_t *rates_mhz; /* supported rates */
    size_t n_rates;
    uint16_t att_mtu;
    uint8_t state, error, format, ranges, batch;
    uint32_t rate_mhz;
    uint16_t seq;
    uint64_t t0_us;     /* schedule origin (device clock, extended to 64 bits by the caller) */
    uint32_t next_k;    /* next schedule index to keep */
    uint32_t missed;    /* schedule slots that passed without a sample */
    uint32_t packets;   /* packets produced */
    uint8_t on_board;   /* set by the glue when a model is flashed: START may ask for MUJO_FORMAT_ON_BOARD */
    uint32_t last_index; /* schedule index of the last kept sample (feed it to mujo_window_push) */
} mujo_stream_t;

void mujo_stream_init(mujo_stream_t *s, mujo_sample_t *storage, uint32_t cap, const uint32_t *rates_mhz,
                      size_t n_rates, uint16_t att_mtu);
/* Handle a control write at device time now_us; returns the error code also stored in the status. */
int mujo_stream_control(mujo_stream_t *s, const uint8_t *data, size_t len, uint64_t now_us);
/* The 16-byte status record. */
size_t mujo_stream_status(const mujo_stream_t *s, uint64_t now_us, uint8_t out[MUJO_STATUS_SIZE]);
/* Offer a measured sample; returns 1 if it was kept (due on the schedule; its index is then in
 * s->last_index), else 0. With a results-only on-board format the sample is not queued for streaming. */
int mujo_stream_offer(mujo_stream_t *s, const int16_t *values, uint64_t t_us);
/* Build the next packet into out (cap bytes) if a full batch (or a batch cut by a hole) is ready;
 * returns its length or 0. */
size_t mujo_stream_poll(mujo_stream_t *s, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* MUJO_STREAM_H */
