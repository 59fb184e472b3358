/*
 * mujo-edge IMU GATT protocol v1: packet, command and status encoding for the watch side.
 *
 * Byte-exact specification: firmware_bridge/PROTOCOL.md. Everything is little-endian.
 * Portable C99, no allocation, no libc beyond <stdint.h>/<stddef.h>/<string.h>.
 * The Python decoder (mujo_edge.firmware_bridge.protocol) reads exactly these bytes; the shared
 * test vectors in ../vectors/vectors.json are checked on both sides.
 */
#ifndef MUJO_IMU_H
#define MUJO_IMU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MUJO_PROTOCOL_VERSION 1u
#define MUJO_HEADER_SIZE 12u  /* version, format, seq u16, t_first_us u32, count, ranges, crc16 */
#define MUJO_STATUS_SIZE 16u
#define MUJO_START_SIZE 9u
#define MUJO_ATT_OVERHEAD 3u  /* opcode + handle of a Handle Value Notification */
#define MUJO_MAX_CHANNELS 6u

/* 128-bit UUIDs as strings, for board glue (little-endian byte arrays are in the board code). */
#define MUJO_SERVICE_UUID "6d756a6f-6564-6765-0000-000000000000"
#define MUJO_CONTROL_UUID "6d756a6f-6564-6765-0000-000000000001"
#define MUJO_DATA_UUID "6d756a6f-6564-6765-0000-000000000002"

enum mujo_format { MUJO_FORMAT_IMU6 = 1, MUJO_FORMAT_ACC3 = 2 };
/* START / status `format` bit 7: classify on board and notify results (PROTOCOL.md §10); 0x80 alone = results
 * only (no data packets), 0x81 = results and IMU6 packets. A device without a model refuses it. */
#define MUJO_FORMAT_ON_BOARD 0x80u
enum mujo_opcode { MUJO_OP_START = 0x01, MUJO_OP_STOP = 0x02 };
enum mujo_state { MUJO_STATE_IDLE = 0, MUJO_STATE_STREAMING = 1 };
enum mujo_error {
    MUJO_OK = 0,
    MUJO_ERR_UNKNOWN_OPCODE = 1,
    MUJO_ERR_BAD_LENGTH = 2,
    MUJO_ERR_UNSUPPORTED_VERSION = 3,
    MUJO_ERR_UNSUPPORTED_FORMAT = 4,
    MUJO_ERR_UNSUPPORTED_RATE = 5,
    MUJO_ERR_UNSUPPORTED_RANGE = 6,
    MUJO_ERR_BATCH_TOO_LARGE = 7,
    /* decoder-only results (never sent by a device) */
    MUJO_ERR_SHORT = 100,
    MUJO_ERR_CRC = 101
};

/* Decoded 12-byte packet header. */
typedef struct {
    uint8_t version;
    uint8_t format;
    uint16_t seq;
    uint32_t t_first_us;
    uint8_t count;
    uint8_t ranges;
    uint16_t crc;
} mujo_header_t;

/* A START command. */
typedef struct {
    uint8_t version;
    uint8_t format;
    uint8_t ranges;
    uint32_t rate_mhz; /* sample rate in milli-hertz: 50 Hz = 50000 */
    uint8_t batch;     /* samples per notification, 0 = as many as fit */
} mujo_start_t;

/* The 16-byte status record (control characteristic read). */
typedef struct {
    uint8_t state;
    uint8_t error;
    uint8_t format;
    uint8_t ranges;
    uint8_t batch;
    uint16_t att_mtu;
    uint32_t rate_mhz;
    uint32_t t_now_us;
} mujo_status_t;

/* CRC-16/CCITT-FALSE (poly 0x1021, no reflection); start with crc = 0xFFFF. check("123456789") = 0x29B1 */
uint16_t mujo_crc16(const uint8_t *data, size_t len, uint16_t crc);

/* Bytes per sample of a format (0 for an unknown format). */
size_t mujo_sample_size(uint8_t format);

/* Largest batch of `format` samples that fits one notification at ATT MTU `att_mtu` (capped at 255). */
uint8_t mujo_max_batch(uint8_t format, uint16_t att_mtu);

/* Range byte from full scales (acc ±2/4/8/16 g, gyro ±125/250/500/1000/2000 dps); MUJO_OK or _UNSUPPORTED_RANGE. */
int mujo_pack_ranges(uint8_t acc_range_g, uint16_t gyro_range_dps, uint8_t *ranges);
/* Inverse of mujo_pack_ranges. */
int mujo_unpack_ranges(uint8_t ranges, uint8_t *acc_range_g, uint16_t *gyro_range_dps);

/*
 * A measured value in SI units (m/s², rad/s) to int16 counts of a ±full_scale sensor (same units):
 * value / full_scale × 32768, rounded half away from zero, clamped to [-32768, 32767]; NaN or a
 * full_scale <= 0 gives 0. (A plain (int16_t) cast of an out-of-range float is undefined behaviour.)
 */
int16_t mujo_quantize(float value, float full_scale);

/*
 * Encode one data notification: header + `count` samples of `format` taken from `samples`
 * (count × channels int16 values, interleaved). Returns the packet length, or 0 if `cap` is too
 * small, the format is unknown or count is 0.
 */
size_t mujo_encode_packet(uint8_t *out, size_t cap, uint8_t format, uint8_t ranges, uint16_t seq,
                          uint32_t t_first_us, const int16_t *samples, uint8_t count);

/* Parse and check a packet header (version, then CRC, then format, length, ranges); MUJO_OK or an error. */
int mujo_decode_header(const uint8_t *pkt, size_t len, mujo_header_t *hdr);

/* Parse a control write. Returns MUJO_OK or the error to report; `*opcode` is set when len >= 1. A START
 * format may carry MUJO_FORMAT_ON_BOARD (whether the device can classify is the caller's decision). */
int mujo_parse_command(const uint8_t *data, size_t len, uint8_t *opcode, mujo_start_t *cmd);

/* Encode a START command (for hosts written in C and for tests); returns MUJO_START_SIZE. */
size_t mujo_encode_start(uint8_t out[MUJO_START_SIZE], const mujo_start_t *cmd);

/* Encode the status record; returns MUJO_STATUS_SIZE. */
size_t mujo_encode_status(uint8_t out[MUJO_STATUS_SIZE], const mujo_status_t *st);

/*
 * Device-side negotiation of a START: picks the supported rate nearest to the request (ties: the
 * higher one) and the requested batch, or the largest that fits when batch is 0 (results-only
 * on-board classification, format MUJO_FORMAT_ON_BOARD: batch 0, no data packets).
 * Returns MUJO_OK, MUJO_ERR_UNSUPPORTED_RATE (no rates) or MUJO_ERR_BATCH_TOO_LARGE.
 */
int mujo_negotiate(const mujo_start_t *cmd, const uint32_t *rates_mhz, size_t n_rates, uint16_t att_mtu,
                   uint32_t *rate_mhz, uint8_t *batch);

/* Little-endian byte access shared by the packet encoder/decoder and the result records. */
static inline void mujo_put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

static inline void mujo_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint16_t mujo_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | ((uint16_t)p[1] << 8)); }

static inline uint32_t mujo_get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#ifdef __cplusplus
}
#endif
#endif /* MUJO_IMU_H */
