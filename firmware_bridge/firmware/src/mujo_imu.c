/* mujo-edge IMU GATT protocol v1, watch side (see mujo_imu.h and PROTOCOL.md). */
#include "mujo_imu.h"

#include <string.h>

static const uint8_t ACC_RANGES_G[] = {2, 4, 8, 16};
static const uint16_t GYRO_RANGES_DPS[] = {125, 250, 500, 1000, 2000};

uint16_t mujo_crc16(const uint8_t *data, size_t len, uint16_t crc) {
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (int b = 0; b < 8; b++) {
            uint16_t shifted = (uint16_t)(crc << 1);
            crc = (crc & 0x8000u) ? (uint16_t)(shifted ^ 0x1021u) : shifted;
        }
    }
    return crc;
}

size_t mujo_sample_size(uint8_t format) {
    switch (format) {
    case MUJO_FORMAT_IMU6: return 12u;
    case MUJO_FORMAT_ACC3: return 6u;
    default: return 0u;
    }
}

uint8_t mujo_max_batch(uint8_t format, uint16_t att_mtu) {
    size_t size = mujo_sample_size(format);
    if (size == 0u || att_mtu < MUJO_ATT_OVERHEAD + MUJO_HEADER_SIZE) return 0u;
    size_t n = ((size_t)att_mtu - MUJO_ATT_OVERHEAD - MUJO_HEADER_SIZE) / size;
    return (uint8_t)(n > 255u ? 255u : n);
}

int mujo_pack_ranges(uint8_t acc_range_g, uint16_t gyro_range_dps, uint8_t *ranges) {
    int a = -1, g = -1;
    for (int i = 0; i < (int)sizeof ACC_RANGES_G; i++) if (ACC_RANGES_G[i] == acc_range_g) a = i;
    for (int i = 0; i < (int)(sizeof GYRO_RANGES_DPS / sizeof GYRO_RANGES_DPS[0]); i++)
        if (GYRO_RANGES_DPS[i] == gyro_range_dps) g = i;
    if (a < 0 || g < 0) return MUJO_ERR_UNSUPPORTED_RANGE;
    *ranges = (uint8_t)(a | (g << 3));
    return MUJO_OK;
}

int mujo_unpack_ranges(uint8_t ranges, uint8_t *acc_range_g, uint16_t *gyro_range_dps) {
    uint8_t a = ranges & 0x07u, g = (uint8_t)((ranges >> 3) & 0x07u);
    if ((ranges & 0xC0u) || a >= sizeof ACC_RANGES_G || g >= sizeof GYRO_RANGES_DPS / sizeof GYRO_RANGES_DPS[0])
        return MUJO_ERR_UNSUPPORTED_RANGE;
    *acc_range_g = ACC_RANGES_G[a];
    *gyro_range_dps = GYRO_RANGES_DPS[g];
    return MUJO_OK;
}

int16_t mujo_quantize(float value, float full_scale) {
    if (!(full_scale > 0.0f)) return 0;
    float c = value / full_scale * 32768.0f;
    if (c != c) return 0; /* NaN */
    if (c >= 32767.0f) return INT16_MAX;
    if (c <= -32768.0f) return INT16_MIN;
    c += c >= 0.0f ? 0.5f : -0.5f; /* now in (-32768.5, 32767.5): the truncation fits int16 */
    return (int16_t)c;
}

size_t mujo_encode_packet(uint8_t *out, size_t cap, uint8_t format, uint8_t ranges, uint16_t seq,
                          uint32_t t_first_us, const int16_t *samples, uint8_t count) {
    size_t size = mujo_sample_size(format);
    size_t len = MUJO_HEADER_SIZE + (size_t)count * size;
    if (size == 0u || count == 0u || out == NULL || samples == NULL || cap < len) return 0u;
    out[0] = (uint8_t)MUJO_PROTOCOL_VERSION;
    out[1] = format;
    mujo_put_u16(out + 2, seq);
    mujo_put_u32(out + 4, t_first_us);
    out[8] = count;
    out[9] = ranges;
    size_t values = (size_t)count * (size / 2u);
    for (size_t i = 0; i < values; i++) mujo_put_u16(out + MUJO_HEADER_SIZE + 2u * i, (uint16_t)samples[i]);
    uint16_t crc = mujo_crc16(out, MUJO_HEADER_SIZE - 2u, 0xFFFFu);
    crc = mujo_crc16(out + MUJO_HEADER_SIZE, len - MUJO_HEADER_SIZE, crc);
    mujo_put_u16(out + 10, crc);
    return len;
}

int mujo_decode_header(const uint8_t *pkt, size_t len, mujo_header_t *hdr) {
    if (len < MUJO_HEADER_SIZE) return MUJO_ERR_SHORT;
    hdr->version = pkt[0];
    hdr->format = pkt[1];
    hdr->seq = mujo_get_u16(pkt + 2);
    hdr->t_first_us = mujo_get_u32(pkt + 4);
    hdr->count = pkt[8];
    hdr->ranges = pkt[9];
    hdr->crc = mujo_get_u16(pkt + 10);
    if (hdr->version != MUJO_PROTOCOL_VERSION) return MUJO_ERR_UNSUPPORTED_VERSION; /* fixes the layout */
    uint16_t crc = mujo_crc16(pkt, MUJO_HEADER_SIZE - 2u, 0xFFFFu);
    crc = mujo_crc16(pkt + MUJO_HEADER_SIZE, len - MUJO_HEADER_SIZE, crc);
    if (crc != hdr->crc) return MUJO_ERR_CRC;
    size_t size = mujo_sample_size(hdr->format);
    if (size == 0u) return MUJO_ERR_UNSUPPORTED_FORMAT;
    if (hdr->count == 0u || len != MUJO_HEADER_SIZE + (size_t)hdr->count * size) return MUJO_ERR_BAD_LENGTH;
    uint8_t a;
    uint16_t g;
    return mujo_unpack_ranges(hdr->ranges, &a, &g);
}

int mujo_parse_command(const uint8_t *data, size_t len, uint8_t *opcode, mujo_start_t *cmd) {
    if (len == 0u) return MUJO_ERR_BAD_LENGTH;
    *opcode = data[0];
    if (data[0] == MUJO_OP_STOP) return len == 1u ? MUJO_OK : MUJO_ERR_BAD_LENGTH;
    if (data[0] != MUJO_OP_START) return MUJO_ERR_UNKNOWN_OPCODE;
    if (len != MUJO_START_SIZE) return MUJO_ERR_BAD_LENGTH;
    cmd->version = data[1];
    cmd->format = data[2];
    cmd->ranges = data[3];
    cmd->rate_mhz = mujo_get_u32(data + 4);
    cmd->batch = data[8];
    if (cmd->version != MUJO_PROTOCOL_VERSION) return MUJO_ERR_UNSUPPORTED_VERSION;
    uint8_t samples = (uint8_t)(cmd->format & (uint8_t)~MUJO_FORMAT_ON_BOARD);
    if (mujo_sample_size(samples) == 0u && !(cmd->format == MUJO_FORMAT_ON_BOARD)) return MUJO_ERR_UNSUPPORTED_FORMAT;
    uint8_t a;
    uint16_t g;
    if (mujo_unpack_ranges(cmd->ranges, &a, &g) != MUJO_OK) return MUJO_ERR_UNSUPPORTED_RANGE;
    if (cmd->rate_mhz == 0u) return MUJO_ERR_UNSUPPORTED_RATE;
    return MUJO_OK;
}

size_t mujo_encode_start(uint8_t out[MUJO_START_SIZE], const mujo_start_t *cmd) {
    out[0] = MUJO_OP_START;
    out[1] = cmd->version;
    out[2] = cmd->format;
    out[3] = cmd->ranges;
    mujo_put_u32(out + 4, cmd->rate_mhz);
    out[8] = cmd->batch;
    return MUJO_START_SIZE;
}

size_t mujo_encode_status(uint8_t out[MUJO_STATUS_SIZE], const mujo_status_t *st) {
    out[0] = (uint8_t)MUJO_PROTOCOL_VERSION;
    out[1] = st->state;
    out[2] = st->error;
    out[3] = st->format;
    out[4] = st->ranges;
    out[5] = st->batch;
    mujo_put_u16(out + 6, st->att_mtu);
    mujo_put_u32(out + 8, st->rate_mhz);
    mujo_put_u32(out + 12, st->t_now_us);
    return MUJO_STATUS_SIZE;
}

int mujo_negotiate(const mujo_start_t *cmd, const uint32_t *rates_mhz, size_t n_rates, uint16_t att_mtu,
                   uint32_t *rate_mhz, uint8_t *batch) {
    if (n_rates == 0u) return MUJO_ERR_UNSUPPORTED_RATE;
    uint32_t best = rates_mhz[0];
    for (size_t i = 1; i < n_rates; i++) {
        uint32_t r = rates_mhz[i];
        uint32_t d = r > cmd->rate_mhz ? r - cmd->rate_mhz : cmd->rate_mhz - r;
        uint32_t db = best > cmd->rate_mhz ? best - cmd->rate_mhz : cmd->rate_mhz - best;
        if (d < db || (d == db && r > best)) best = r;
    }
    *rate_mhz = best;
    if (cmd->format == MUJO_FORMAT_ON_BOARD) { /* results only: no data packets, no batch */
        *batch = 0u;
        return MUJO_OK;
    }
    uint8_t most = mujo_max_batch((uint8_t)(cmd->format & (uint8_t)~MUJO_FORMAT_ON_BOARD), att_mtu);
    if (most < 1u || cmd->batch > most) return MUJO_ERR_BATCH_TOO_LARGE;
    *batch = cmd->batch ? cmd->batch : most;
    return MUJO_OK;
}
