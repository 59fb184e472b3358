/*
 * Two-thread stress test of the SPSC sample ring (host only: `make thread-test` builds it with
 * ThreadSanitizer, which reports any data race between the producer's slot writes / index stores and
 * the consumer's reads, and makes the exit status non-zero).
 *
 * The producer pushes N numbered samples (retrying while the ring is full); the consumer checks that
 * every sample arrives once, in order and fully written.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "mujo_stream.h"

#define N_SAMPLES 100000u

static mujo_sample_t storage[16];
static mujo_ring_t ring;

static void fill(mujo_sample_t *s, uint32_t i) {
    for (uint32_t c = 0; c < MUJO_MAX_CHANNELS; c++) s->v[c] = (int16_t)((i * 7u + c) & 0x7FFFu);
    s->t_us = i * 3u;
    s->index = i;
}

static void *producer(void *arg) {
    (void)arg;
    mujo_sample_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < N_SAMPLES;) {
        fill(&s, i);
        if (mujo_ring_push(&ring, &s)) {
            i++;
        } else {
            sched_yield();
        }
    }
    return NULL;
}

int main(void) {
    if (mujo_ring_init(&ring, storage, 16) != MUJO_OK) return 1;
    pthread_t thread;
    if (pthread_create(&thread, NULL, producer, NULL) != 0) return 1;
    uint32_t next = 0, bad = 0;
    mujo_sample_t want;
    memset(&want, 0, sizeof want);
    while (next < N_SAMPLES) {
        uint32_t n = mujo_ring_count(&ring);
        for (uint32_t i = 0; i < n; i++) {
            const mujo_sample_t *got = mujo_ring_peek(&ring, i);
            fill(&want, next + i);
            if (got == NULL || memcmp(got->v, want.v, sizeof want.v) != 0 || got->t_us != want.t_us ||
                got->index != want.index)
                bad++;
        }
        mujo_ring_drop(&ring, n);
        next += n;
        if (n == 0u) sched_yield();
    }
    pthread_join(thread, NULL);
    printf("ring thread test: %u samples, %u bad, %u pushes refused while full\n", N_SAMPLES, bad,
           mujo_ring_dropped(&ring));
    return bad ? 1 : 0;
}
