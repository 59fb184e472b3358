/*
 * Host and Cortex-M4 (QEMU) unit tests of the watch-side protocol code.
 *
 *   test_mujo                 run every test; prints "mujo firmware tests: N checks passed", exit 0
 *   test_mujo --emit N BATCH  print N packets (hex, one per line) streamed from a simulated 104 Hz
 *                             sensor at 50 Hz with the given batch, for the Python decoder to check
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mujo_imu.h"
#include "mujo_stream.h"
#include "mujo_window.h"
#include "onboard_vectors.h"
#include "vectors.h"

static int checks, failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                            \
    } while (0)

static void test_crc(void) {
    const uint8_t msg[] = "123456789";
    CHECK(mujo_crc16(msg, 9, 0xFFFFu) == MUJO_VEC_CRC_CHECK);
    CHECK(mujo_crc16(msg, 9, 0xFFFFu) == 0x29B1u);
}

static void test_packet_vectors(void) {
    uint8_t buf[600];
    for (int i = 0; i < MUJO_VEC_N_PACKETS; i++) {
        const mujo_vec_packet_t *v = &MUJO_VEC_PACKETS[i];
        size_t len = mujo_encode_packet(buf, sizeof buf, v->format, v->ranges, v->seq, v->t_first_us, v->samples,
                                        v->count);
        CHECK(len == v->len);
        CHECK(memcmp(buf, v->packet, v->len) == 0);
        mujo_header_t h;
        CHECK(mujo_decode_header(v->packet, v->len, &h) == MUJO_OK);
        CHECK(h.seq == v->seq && h.t_first_us == v->t_first_us && h.count == v->count && h.format == v->format);
        /* every single-bit error is detected */
        for (size_t byte = 0; byte < v->len; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(buf, v->packet, v->len);
                buf[byte] ^= (uint8_t)(1u << bit);
                CHECK(mujo_decode_header(buf, v->len, &h) != MUJO_OK);
            }
        }
        CHECK(mujo_decode_header(v->packet, v->len - 1u, &h) != MUJO_OK);
        CHECK(mujo_decode_header(v->packet, 5, &h) == MUJO_ERR_SHORT);
        CHECK(mujo_encode_packet(buf, v->len - 1u, v->format, v->ranges, v->seq, v->t_first_us, v->samples,
                                 v->count) == 0u);
    }
    int16_t one[6] = {0};
    CHECK(mujo_encode_packet(buf, sizeof buf, 9, 0, 0, 0, one, 1) == 0u);
    CHECK(mujo_encode_packet(buf, sizeof buf, MUJO_FORMAT_IMU6, 0, 0, 0, one, 0) == 0u);
}

static void test_control_vectors(void) {
    uint8_t op = 0, out[MUJO_STATUS_SIZE];
    mujo_start_t cmd;
    CHECK(mujo_parse_command(MUJO_VEC_START, sizeof MUJO_VEC_START, &op, &cmd) == MUJO_OK);
    CHECK(op == MUJO_OP_START && cmd.rate_mhz == MUJO_VEC_START_RATE_MHZ && cmd.ranges == MUJO_VEC_START_RANGES);
    uint8_t start[MUJO_START_SIZE];
    CHECK(mujo_encode_start(start, &cmd) == MUJO_START_SIZE && memcmp(start, MUJO_VEC_START, MUJO_START_SIZE) == 0);
    CHECK(mujo_parse_command(MUJO_VEC_START, 8, &op, &cmd) == MUJO_ERR_BAD_LENGTH);
    uint8_t bad[MUJO_START_SIZE];
    memcpy(bad, MUJO_VEC_START, sizeof bad);
    bad[1] = 2;
    CHECK(mujo_parse_command(bad, sizeof bad, &op, &cmd) == MUJO_ERR_UNSUPPORTED_VERSION);
    memcpy(bad, MUJO_VEC_START, sizeof bad);
    bad[3] = 0x3F;
    CHECK(mujo_parse_command(bad, sizeof bad, &op, &cmd) == MUJO_ERR_UNSUPPORTED_RANGE);
    const uint8_t stop[1] = {MUJO_OP_STOP}, junk[2] = {0x77, 0};
    CHECK(mujo_parse_command(stop, 1, &op, &cmd) == MUJO_OK && op == MUJO_OP_STOP);
    CHECK(mujo_parse_command(junk, 2, &op, &cmd) == MUJO_ERR_UNKNOWN_OPCODE);
    CHECK(mujo_parse_command(junk, 0, &op, &cmd) == MUJO_ERR_BAD_LENGTH);
    uint8_t ranges = 0;
    CHECK(mujo_pack_ranges(8, 2000, &ranges) == MUJO_OK);
    mujo_status_t st = {MUJO_STATE_STREAMING, MUJO_OK, MUJO_FORMAT_IMU6, ranges, 2, 247, 50000u, MUJO_VEC_STATUS_T_NOW};
    CHECK(mujo_encode_status(out, &st) == MUJO_STATUS_SIZE && memcmp(out, MUJO_VEC_STATUS, MUJO_STATUS_SIZE) == 0);
    CHECK(mujo_pack_ranges(3, 2000, &ranges) == MUJO_ERR_UNSUPPORTED_RANGE);
}

static void test_negotiate_vectors(void) {
    for (int i = 0; i < MUJO_VEC_N_NEGOTIATE; i++) {
        const mujo_vec_negotiate_t *v = &MUJO_VEC_NEGOTIATE[i];
        mujo_start_t cmd = {MUJO_PROTOCOL_VERSION, MUJO_FORMAT_IMU6, 0, v->request_mhz, v->batch};
        uint32_t rate = 0;
        uint8_t batch = 0;
        int err = mujo_negotiate(&cmd, MUJO_VEC_RATES, sizeof MUJO_VEC_RATES / sizeof MUJO_VEC_RATES[0], v->att_mtu,
                                 &rate, &batch);
        CHECK(err == v->error && rate == v->rate_mhz);
        if (err == MUJO_OK) CHECK(batch == v->applied_batch);
    }
    CHECK(mujo_max_batch(MUJO_FORMAT_IMU6, 23) == 0 && mujo_max_batch(MUJO_FORMAT_ACC3, 23) == 1);
    CHECK(mujo_max_batch(MUJO_FORMAT_IMU6, 27) == 1 && mujo_max_batch(MUJO_FORMAT_IMU6, 247) == 19);
    CHECK(mujo_max_batch(MUJO_FORMAT_ACC3, 517) == 83 && mujo_max_batch(9, 247) == 0);
}

static void test_ring(void) {
    mujo_sample_t store[8];
    mujo_ring_t r;
    CHECK(mujo_ring_init(&r, store, 6) != MUJO_OK);
    CHECK(mujo_ring_init(&r, store, 8) == MUJO_OK);
    atomic_store(&r.wr, 0xFFFFFFFCu); /* counters wrap through 2^32 */
    atomic_store(&r.rd, 0xFFFFFFFCu);
    mujo_sample_t s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < 10; i++) {
        s.index = i;
        CHECK(mujo_ring_push(&r, &s) == (i < 8 ? 1 : 0));
    }
    CHECK(mujo_ring_count(&r) == 8 && mujo_ring_dropped(&r) == 2);
    CHECK(mujo_ring_peek(&r, 0)->index == 0 && mujo_ring_peek(&r, 7)->index == 7 && mujo_ring_peek(&r, 8) == NULL);
    mujo_ring_drop(&r, 3);
    CHECK(mujo_ring_count(&r) == 5 && mujo_ring_peek(&r, 0)->index == 3);
    mujo_ring_drop(&r, 100);
    CHECK(mujo_ring_count(&r) == 0);
}

/* A simulated sensor at `odr_hz` offered to a stream; returns samples kept. */
static int run_sensor(mujo_stream_t *s, uint64_t *t_us, double odr_hz, double seconds, uint8_t *pkt, size_t *n_pkt,
                      FILE *emit, int max_packets) {
    int kept = 0;
    double period = 1e6 / odr_hz;
    int n = (int)(seconds * odr_hz);
    for (int i = 0; i < n; i++) {
        int16_t v[6] = {(int16_t)(i * 3), (int16_t)(-i), 4096, (int16_t)(i & 0xFF), 0, (int16_t)-7};
        kept += mujo_stream_offer(s, v, *t_us);
        *t_us += (uint64_t)period;
        size_t len;
        while ((len = mujo_stream_poll(s, pkt, 600)) > 0u) {
            mujo_header_t h;
            CHECK(mujo_decode_header(pkt, len, &h) == MUJO_OK);
            (*n_pkt)++;
            if (emit != NULL && (int)*n_pkt <= max_packets) {
                for (size_t b = 0; b < len; b++) fprintf(emit, "%02x", pkt[b]);
                fprintf(emit, "\n");
            }
        }
    }
    return kept;
}

static void test_stream(void) {
    static const uint32_t rates[] = {25000u, 50000u, 100000u};
    mujo_sample_t store[16];
    mujo_stream_t s;
    uint8_t pkt[600], start[MUJO_START_SIZE], status[MUJO_STATUS_SIZE];
    mujo_stream_init(&s, store, 16, rates, 3, 247);
    mujo_start_t cmd = {MUJO_PROTOCOL_VERSION, MUJO_FORMAT_IMU6, 0, 52000u, 4};
    CHECK(mujo_pack_ranges(8, 2000, &cmd.ranges) == MUJO_OK);
    mujo_encode_start(start, &cmd);
    uint64_t t = 5000000000ull; /* device clock beyond 2^32 µs: packets carry the low 32 bits */
    CHECK(mujo_stream_control(&s, start, sizeof start, t) == MUJO_OK);
    CHECK(s.rate_mhz == 50000u && s.batch == 4 && s.state == MUJO_STATE_STREAMING);
    mujo_stream_status(&s, t, status);
    CHECK(status[1] == MUJO_STATE_STREAMING && status[2] == MUJO_OK && status[5] == 4);
    size_t n_pkt = 0;
    int kept = run_sensor(&s, &t, 104.0, 2.0, pkt, &n_pkt, NULL, 0);
    CHECK(kept >= 99 && kept <= 101); /* 50 Hz out of a 104 Hz sensor for 2 s */
    CHECK(s.missed == 0 && mujo_ring_dropped(&s.ring) == 0);
    CHECK(n_pkt == (size_t)kept / 4u);
    /* the BLE stack stalls: the 16-sample ring overflows, samples are refused and counted */
    uint32_t dropped0 = mujo_ring_dropped(&s.ring);
    for (int i = 0; i < 40; i++) {
        int16_t v[6] = {0};
        mujo_stream_offer(&s, v, t);
        t += 20000u;
    }
    CHECK(mujo_ring_dropped(&s.ring) > dropped0 && mujo_ring_count(&s.ring) == 16u);
    size_t len = mujo_stream_poll(&s, pkt, sizeof pkt);
    mujo_header_t h;
    CHECK(len > 0u && mujo_decode_header(pkt, len, &h) == MUJO_OK);
    /* the poll made room: a sensor that skips slots has its next sample kept, and the schedule
     * records the missed slots (the ring refused nothing this time) */
    CHECK(mujo_ring_count(&s.ring) < 16u);
    uint32_t missed0 = s.missed, dropped1 = mujo_ring_dropped(&s.ring);
    int16_t v[6] = {0};
    t += 100000u; /* 5 slots later */
    CHECK(mujo_stream_offer(&s, v, t) == 1);
    CHECK(mujo_ring_dropped(&s.ring) == dropped1);
    CHECK(s.missed >= missed0 + 4u);
    /* a malformed write is refused and reported, the stream keeps its settings */
    const uint8_t junk[3] = {MUJO_OP_START, 1, 1};
    CHECK(mujo_stream_control(&s, junk, sizeof junk, t) == MUJO_ERR_BAD_LENGTH && s.rate_mhz == 50000u);
    const uint8_t stop[1] = {MUJO_OP_STOP};
    CHECK(mujo_stream_control(&s, stop, 1, t) == MUJO_OK && s.state == MUJO_STATE_IDLE);
    CHECK(mujo_stream_poll(&s, pkt, sizeof pkt) == 0u && mujo_stream_offer(&s, v, t + 1000000u) == 0);
}

static void test_quantize(void) {
    const float g = 9.80665f, fs = 8.0f * 9.80665f;
    CHECK(mujo_quantize(g, fs) == 4096 && mujo_quantize(-g, fs) == -4096 && mujo_quantize(0.0f, fs) == 0);
    CHECK(mujo_quantize(fs, fs) == 32767 && mujo_quantize(-fs, fs) == -32768); /* full scale: clamped */
    CHECK(mujo_quantize(3.0f * fs, fs) == 32767 && mujo_quantize(-3.0f * fs, fs) == -32768);
    CHECK(mujo_quantize(1e30f, fs) == 32767 && mujo_quantize(-1e30f, fs) == -32768);
    CHECK(mujo_quantize(INFINITY, fs) == 32767 && mujo_quantize(-INFINITY, fs) == -32768);
    CHECK(mujo_quantize(NAN, fs) == 0 && mujo_quantize(1.0f, 0.0f) == 0 && mujo_quantize(1.0f, NAN) == 0);
    /* half an LSB rounds away from zero: 8 × 2^-16 is exactly 0.5 count at ±8 */
    CHECK(mujo_quantize(8.0f / 65536.0f, 8.0f) == 1 && mujo_quantize(-8.0f / 65536.0f, 8.0f) == -1);
    CHECK(mujo_quantize(8.0f / 65536.0f * 0.99f, 8.0f) == 0);
}


/* ------------------------------------------------------------------ on-board classification (golden vectors) */
static void test_lsb_vectors(void) {
    for (int i = 0; i < MUJO_VEC_N_LSB; i++) {
        const mujo_vec_lsb_t *v = &MUJO_VEC_LSB[i];
        CHECK(mujo_channel_lsb(v->format, v->ranges, v->channel) == v->lsb); /* bit-identical doubles */
    }
    CHECK(mujo_channel_lsb(9, 0, 0) == 0.0 && mujo_channel_lsb(MUJO_FORMAT_IMU6, 0xFF, 0) == 0.0);
    CHECK(mujo_channel_lsb(MUJO_FORMAT_ACC3, 0, 3) == 0.0);
}

static void test_quantize_vectors(void) {
    for (int i = 0; i < MUJO_VEC_N_QUANTIZE; i++) {
        const mujo_vec_quantize_t *v = &MUJO_VEC_QUANTIZE[i];
        int8_t q = mujo_quantize_input(v->x, v->mean, v->std, v->scale, v->zero_point);
        CHECK(q == v->q);
        if (q != v->q) printf("  quantize case %d: got %d, Python %d\n", i, q, v->q);
    }
    CHECK(mujo_quantize_input(NAN, 0.0f, 1.0f, 0.1f, 7) == 7);
    CHECK(mujo_quantize_input(INFINITY, 0.0f, 1.0f, 0.1f, 0) == 127);
    CHECK(mujo_quantize_input(-INFINITY, 0.0f, 1.0f, 0.1f, 0) == -128);
}

static void test_window_vectors(void) {
    static int8_t ring[128 * 6], out[128 * 6];
    for (int i = 0; i < MUJO_VEC_N_STREAMS; i++) {
        const mujo_vec_stream_t *v = &MUJO_VEC_STREAMS[i];
        mujo_window_spec_t spec = {v->window, v->hop, 6, {0}, {0}, v->scale, v->zero_point};
        memcpy(spec.mean, v->mean, sizeof spec.mean);
        memcpy(spec.std, v->std, sizeof spec.std);
        mujo_window_t w;
        CHECK(mujo_window_init(&w, &spec, v->format, v->ranges, ring, sizeof ring) == MUJO_OK);
        CHECK(mujo_window_copy(&w, out, sizeof out) == 0u); /* no full window yet */
        size_t n_win = (size_t)v->window * 6u;
        int got = 0, bad = 0;
        for (uint16_t k = 0; k < v->n; k++) {
            if (!mujo_window_push(&w, v->counts + 6u * k, v->index[k])) continue;
            if (got >= v->n_windows || v->ends[got] != k) {
                bad++;
                got++;
                continue;
            }
            CHECK(mujo_window_copy(&w, out, n_win - 1u) == 0u); /* too small */
            CHECK(mujo_window_copy(&w, out, sizeof out) == n_win);
            if (memcmp(out, v->windows + (size_t)got * n_win, n_win) != 0) bad++;
            got++;
        }
        CHECK(got == v->n_windows && bad == 0);
        if (got != v->n_windows || bad) printf("  stream %s: %d windows (Python %d), %d differ\n", v->name, got, v->n_windows, bad);
        CHECK(w.windows == (uint32_t)v->n_windows);
    }
    /* refused configurations */
    mujo_window_spec_t ok = {16, 8, 6, {0}, {1, 1, 1, 1, 1, 1}, 0.05f, 0};
    mujo_window_t w;
    CHECK(mujo_window_init(&w, &ok, MUJO_FORMAT_ACC3, 0, ring, sizeof ring) == MUJO_ERR_UNSUPPORTED_FORMAT);
    CHECK(mujo_window_init(&w, &ok, MUJO_FORMAT_IMU6, 0xC0, ring, sizeof ring) == MUJO_ERR_UNSUPPORTED_RANGE);
    CHECK(mujo_window_init(&w, &ok, MUJO_FORMAT_IMU6, 0, ring, 16u * 6u - 1u) == MUJO_ERR_BAD_LENGTH);
    mujo_window_spec_t bad = ok;
    bad.std[4] = 0.0f;
    CHECK(mujo_window_init(&w, &bad, MUJO_FORMAT_IMU6, 0, ring, sizeof ring) == MUJO_ERR_BAD_LENGTH);
    bad = ok;
    bad.scale = -1.0f;
    CHECK(mujo_window_init(&w, &bad, MUJO_FORMAT_IMU6, 0, ring, sizeof ring) == MUJO_ERR_BAD_LENGTH);
    bad = ok;
    bad.hop = 0;
    CHECK(mujo_window_init(&w, &bad, MUJO_FORMAT_IMU6, 0, ring, sizeof ring) == MUJO_ERR_BAD_LENGTH);
    /* a hole restarts the window: 16 more samples are needed */
    CHECK(mujo_window_init(&w, &ok, MUJO_FORMAT_IMU6, 0, ring, sizeof ring) == MUJO_OK);
    int16_t s[6] = {1, 2, 3, 4, 5, 6};
    int done = 0;
    for (uint32_t k = 0; k < 15; k++) done += mujo_window_push(&w, s, k);
    CHECK(done == 0 && mujo_window_push(&w, s, 20) == 0 && w.restarts == 1u);
    for (uint32_t k = 21; k < 35; k++) done += mujo_window_push(&w, s, k);
    CHECK(done == 0 && mujo_window_push(&w, s, 35) == 1);
}

static void test_result_vectors(void) {
    uint8_t buf[MUJO_RESULT_MAX_SIZE];
    for (int i = 0; i < MUJO_VEC_N_RESULTS; i++) {
        const mujo_vec_result_t *v = &MUJO_VEC_RESULTS[i];
        size_t len = mujo_encode_result(buf, sizeof buf, v->is_float ? MUJO_RESULT_FLAG_FLOAT : 0u, v->seq, v->t_end_us,
                                        v->class_index, v->num_classes, v->confidence);
        CHECK(len == v->len && memcmp(buf, v->packet, v->len) == 0);
        CHECK(mujo_encode_result(buf, v->len - 1u, v->is_float ? MUJO_RESULT_FLAG_FLOAT : 0u, v->seq, v->t_end_us,
                                 v->class_index, v->num_classes, v->confidence) == 0u);
    }
    CHECK(mujo_encode_result(buf, sizeof buf, 0x02, 0, 0, 0, 1, 0.5f) == 0u); /* reserved flag */
    for (int i = 0; i < MUJO_VEC_N_CONFIDENCE; i++) CHECK(mujo_confidence_code(MUJO_VEC_CONFIDENCE[i].p) == MUJO_VEC_CONFIDENCE[i].q);
    uint8_t rec[MUJO_MODEL_RECORD_SIZE];
    CHECK(mujo_encode_model_record(rec, MUJO_VEC_MODEL_RECORD_ARGS, MUJO_VEC_MODEL_ID) == MUJO_MODEL_RECORD_SIZE);
    CHECK(memcmp(rec, MUJO_VEC_MODEL_RECORD, MUJO_MODEL_RECORD_SIZE) == 0);
    const int8_t logits[4] = {-20, 90, 90, 3};
    float p = 0.0f;
    CHECK(mujo_top_class(logits, 4, 0.1f, -20, &p) == 1 && p > 0.49f && p < 0.5f); /* ties: the first */
    CHECK(mujo_top_class(logits, 0, 0.1f, 0, &p) == 0 && p == 0.0f);
}

static void test_on_board_start(void) {
    static const uint32_t rates[] = {50000u};
    mujo_sample_t store[8];
    mujo_stream_t s;
    uint8_t start[MUJO_START_SIZE], pkt[64];
    mujo_stream_init(&s, store, 8, rates, 1, 247);
    mujo_start_t cmd = {MUJO_PROTOCOL_VERSION, MUJO_FORMAT_ON_BOARD, 0, 50000u, 1};
    mujo_encode_start(start, &cmd);
    CHECK(mujo_stream_control(&s, start, sizeof start, 0) == MUJO_ERR_UNSUPPORTED_FORMAT); /* no model */
    s.on_board = 1u;
    CHECK(mujo_stream_control(&s, start, sizeof start, 0) == MUJO_OK && s.format == MUJO_FORMAT_ON_BOARD);
    int16_t v[6] = {0};
    uint64_t t = 0;
    int kept = 0;
    for (int i = 0; i < 40; i++, t += 20000u) kept += mujo_stream_offer(&s, v, t);
    CHECK(kept == 40 && s.last_index == 39u && mujo_ring_count(&s.ring) == 0u); /* nothing queued to stream */
    CHECK(mujo_stream_poll(&s, pkt, sizeof pkt) == 0u);
    cmd.format = MUJO_FORMAT_ON_BOARD | MUJO_FORMAT_IMU6;
    mujo_encode_start(start, &cmd);
    CHECK(mujo_stream_control(&s, start, sizeof start, t) == MUJO_OK);
    for (int i = 0; i < 3; i++, t += 20000u) kept += mujo_stream_offer(&s, v, t);
    size_t len = mujo_stream_poll(&s, pkt, sizeof pkt);
    mujo_header_t h;
    CHECK(len > 0u && mujo_decode_header(pkt, len, &h) == MUJO_OK && h.format == MUJO_FORMAT_IMU6);
    cmd.format = MUJO_FORMAT_ON_BOARD | 0x05u;
    mujo_encode_start(start, &cmd);
    CHECK(mujo_stream_control(&s, start, sizeof start, t) == MUJO_ERR_UNSUPPORTED_FORMAT);
}

static int emit(int n, int batch) {
    static const uint32_t rates[] = {50000u};
    mujo_sample_t store[64];
    mujo_stream_t s;
    uint8_t pkt[600], start[MUJO_START_SIZE];
    mujo_stream_init(&s, store, 64, rates, 1, 247);
    mujo_start_t cmd = {MUJO_PROTOCOL_VERSION, MUJO_FORMAT_IMU6, 0, 50000u, (uint8_t)batch};
    if (mujo_pack_ranges(8, 2000, &cmd.ranges) != MUJO_OK) return 1;
    mujo_encode_start(start, &cmd);
    uint64_t t = 4294000000ull; /* the 32-bit µs clock wraps during the run */
    if (mujo_stream_control(&s, start, sizeof start, t) != MUJO_OK) return 1;
    size_t n_pkt = 0;
    run_sensor(&s, &t, 104.0, (double)n * batch / 50.0 + 1.0, pkt, &n_pkt, stdout, n);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--emit") == 0) return emit(atoi(argv[2]), atoi(argv[3]));
#ifdef MUJO_SELFTEST_FAIL
    CHECK(0); /* proves a failure reaches the exit status (make ... EXTRA=-DMUJO_SELFTEST_FAIL) */
#endif
    test_crc();
    test_packet_vectors();
    test_control_vectors();
    test_negotiate_vectors();
    test_ring();
    test_stream();
    test_quantize();
    test_lsb_vectors();
    test_quantize_vectors();
    test_window_vectors();
    test_result_vectors();
    test_on_board_start();
    printf("mujo firmware tests: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
