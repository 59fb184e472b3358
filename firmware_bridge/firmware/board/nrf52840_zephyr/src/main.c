/*
 * NOT BUILT HERE — nRF52840 + Zephyr glue for the mujo-edge IMU protocol (see ../README.md); with
 * CONFIG_MUJO_ON_BOARD also on-board classification (window assembler → TFLite Micro → result characteristic).
 *
 * Written against Zephyr's public APIs (bluetooth/gatt.h, drivers/sensor.h, kernel timers); the
 * protocol, ring buffer, rate control and batching are the tested portable code in ../../src.
 *
 * Threads: the sample work item (system workqueue) produces, main() consumes and notifies, and the
 * GATT callbacks (BT RX thread) apply control writes and read the status. mujo_stream_control is a
 * second consumer of the ring (it discards entries and resets the schedule the producer reads), so
 * every mujo_stream_* call below holds `stream_lock` (see "Threading" in mujo_stream.h). The critical
 * sections are short and never block: bt_gatt_notify runs outside the lock.
 */
#include <zephyr/bluetooth/bluetooth.h>
#include <zephyr/bluetooth/conn.h>
#include <zephyr/bluetooth/gatt.h>
#include <zephyr/bluetooth/uuid.h>
#include <zephyr/drivers/sensor.h>
#include <zephyr/kernel.h>

#include "mujo_imu.h"
#include "mujo_stream.h"
#ifdef MUJO_ON_BOARD
#include "model/dscnn_int8_tflm_spec.h" /* from `mujo-edge export --format tflm --int8` */
#include "onboard.h"
#endif

/* 6d756a6f-6564-6765-0000-00000000000X, little-endian as Zephyr expects */
#define MUJO_UUID(x) BT_UUID_128_ENCODE(0x6d756a6f, 0x6564, 0x6765, 0x0000, 0x00000000000##x)
static const struct bt_uuid_128 svc_uuid = BT_UUID_INIT_128(MUJO_UUID(0));
static const struct bt_uuid_128 ctl_uuid = BT_UUID_INIT_128(MUJO_UUID(1));
static const struct bt_uuid_128 dat_uuid = BT_UUID_INIT_128(MUJO_UUID(2));
#ifdef MUJO_ON_BOARD
static const struct bt_uuid_128 res_uuid = BT_UUID_INIT_128(MUJO_UUID(3)); /* result characteristic (§10) */
#endif

#define SENSOR_ODR_HZ 416
#ifdef MUJO_ON_BOARD
static const uint32_t RATES_MHZ[] = {26000u, MUJO_SPEC_RATE_MHZ, 52000u, 104000u, 208000u}; /* + the model's rate */
#else
static const uint32_t RATES_MHZ[] = {26000u, 52000u, 104000u, 208000u};
#endif
static const struct device *const imu = DEVICE_DT_GET_ONE(st_lsm6dsl);

static mujo_sample_t ring_storage[256];
static mujo_stream_t stream;
static struct bt_conn *current;
static bool notify_enabled;
K_SEM_DEFINE(tx_sem, 0, 1);
K_MUTEX_DEFINE(stream_lock); /* serializes every mujo_stream_* call (producer, consumer and control) */

static uint64_t now_us(void) { return k_ticks_to_us_floor64(k_uptime_ticks()); }

static ssize_t read_ctl(struct bt_conn *conn, const struct bt_gatt_attr *attr, void *buf, uint16_t len,
                        uint16_t offset) {
    uint8_t status[MUJO_STATUS_SIZE];
    k_mutex_lock(&stream_lock, K_FOREVER);
    stream.att_mtu = bt_gatt_get_mtu(conn); /* the host sizes its batch from this (PROTOCOL.md §4, §6) */
    mujo_stream_status(&stream, now_us(), status);
    k_mutex_unlock(&stream_lock);
    return bt_gatt_attr_read(conn, attr, buf, len, offset, status, sizeof status);
}

static ssize_t write_ctl(struct bt_conn *conn, const struct bt_gatt_attr *attr, const void *buf, uint16_t len,
                         uint16_t offset, uint8_t flags) {
    if (offset != 0) return BT_GATT_ERR(BT_ATT_ERR_INVALID_OFFSET);
    k_mutex_lock(&stream_lock, K_FOREVER);
    stream.att_mtu = bt_gatt_get_mtu(conn);
    int err = mujo_stream_control(&stream, buf, len, now_us()); /* errors are reported in the status */
#ifdef MUJO_ON_BOARD
    if (err == MUJO_OK && (stream.format & MUJO_FORMAT_ON_BOARD)) {
        mujo_window_spec_t spec;
        mujo_onboard_spec(&spec);
        if (stream.rate_mhz != MUJO_SPEC_RATE_MHZ ||
            mujo_window_init(&window, &spec, MUJO_FORMAT_IMU6, stream.ranges, window_ring, sizeof window_ring) != MUJO_OK) {
            const uint8_t stop = MUJO_OP_STOP; /* the model needs its own rate: refuse the START */
            (void)mujo_stream_control(&stream, &stop, 1, now_us());
            stream.error = MUJO_ERR_UNSUPPORTED_RATE;
        }
        result_seq = 0;
    }
#else
    (void)err;
#endif
    k_mutex_unlock(&stream_lock);
    return len;
}

static void ccc_changed(const struct bt_gatt_attr *attr, uint16_t value) {
    notify_enabled = (value == BT_GATT_CCC_NOTIFY);
}

#ifdef MUJO_ON_BOARD
/* On-board classification: the sample work item pushes every kept sample into the window assembler; a
 * completed window is copied out and classified by a work item of its own (inference takes milliseconds and
 * must not run under stream_lock); the result is notified on the result characteristic. */
static mujo_window_t window;
static int8_t window_ring[MUJO_MAX_CHANNELS * 256];
static int8_t window_input[MUJO_MAX_CHANNELS * 256];
static uint32_t window_end_us;
static bool results_enabled, window_ready;
static uint16_t result_seq;
K_SEM_DEFINE(result_sem, 0, 1);

static void result_ccc_changed(const struct bt_gatt_attr *attr, uint16_t value) {
    results_enabled = (value == BT_GATT_CCC_NOTIFY);
}

static ssize_t read_model(struct bt_conn *conn, const struct bt_gatt_attr *attr, void *buf, uint16_t len,
                          uint16_t offset) {
    uint8_t record[MUJO_MODEL_RECORD_SIZE];
    mujo_onboard_model_record(record);
    return bt_gatt_attr_read(conn, attr, buf, len, offset, record, sizeof record);
}
#endif

BT_GATT_SERVICE_DEFINE(mujo_svc, BT_GATT_PRIMARY_SERVICE(&svc_uuid),
                       BT_GATT_CHARACTERISTIC(&ctl_uuid.uuid, BT_GATT_CHRC_READ | BT_GATT_CHRC_WRITE,
                                              BT_GATT_PERM_READ | BT_GATT_PERM_WRITE, read_ctl, write_ctl, NULL),
                       BT_GATT_CHARACTERISTIC(&dat_uuid.uuid, BT_GATT_CHRC_NOTIFY, BT_GATT_PERM_NONE, NULL, NULL,
                                              NULL),
                       BT_GATT_CCC(ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
#ifdef MUJO_ON_BOARD
                       BT_GATT_CHARACTERISTIC(&res_uuid.uuid, BT_GATT_CHRC_READ | BT_GATT_CHRC_NOTIFY, BT_GATT_PERM_READ,
                                              read_model, NULL, NULL),
                       BT_GATT_CCC(result_ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
#endif
);

static const struct bt_data ad[] = {
    BT_DATA_BYTES(BT_DATA_FLAGS, (BT_LE_AD_GENERAL | BT_LE_AD_NO_BREDR)),
    BT_DATA_BYTES(BT_DATA_UUID128_ALL, MUJO_UUID(0)),
};
static const struct bt_data sd[] = {
    BT_DATA(BT_DATA_NAME_COMPLETE, CONFIG_BT_DEVICE_NAME, sizeof(CONFIG_BT_DEVICE_NAME) - 1),
};

static void connected(struct bt_conn *conn, uint8_t err) {
    if (!err) current = bt_conn_ref(conn);
}

static void disconnected(struct bt_conn *conn, uint8_t reason) {
    const uint8_t stop = MUJO_OP_STOP;
    k_mutex_lock(&stream_lock, K_FOREVER);
    (void)mujo_stream_control(&stream, &stop, 1, now_us());
    stream.att_mtu = 23; /* the next connection starts at the default MTU */
    k_mutex_unlock(&stream_lock);
    if (current) {
        bt_conn_unref(current);
        current = NULL;
    }
}

BT_CONN_CB_DEFINE(conn_cb) = {.connected = connected, .disconnected = disconnected};

/* The MTU exchange finished: the status the host reads before START reports the new MTU. */
static void mtu_updated(struct bt_conn *conn, uint16_t tx, uint16_t rx) {
    k_mutex_lock(&stream_lock, K_FOREVER);
    stream.att_mtu = bt_gatt_get_mtu(conn);
    k_mutex_unlock(&stream_lock);
}
static struct bt_gatt_cb gatt_cb = {.att_mtu_updated = mtu_updated};

/* sampling work item (I2C may block, so not in the timer ISR): read acc + gyro and offer the sample;
 * the stream keeps only the samples that are due at the requested rate. */
static void sample_work_fn(struct k_work *work) {
    struct sensor_value acc[3], gyr[3];
    if (sensor_sample_fetch(imu) != 0) return;
    sensor_channel_get(imu, SENSOR_CHAN_ACCEL_XYZ, acc);
    sensor_channel_get(imu, SENSOR_CHAN_GYRO_XYZ, gyr);
    int16_t v[6];
    k_mutex_lock(&stream_lock, K_FOREVER);
    uint8_t acc_g;
    uint16_t gyro_dps;
    mujo_unpack_ranges(stream.ranges, &acc_g, &gyro_dps);
    for (int i = 0; i < 3; i++) {
        /* m/s^2 and rad/s to counts of the configured full scale, rounded and clamped (a shock beyond
         * the range saturates at the int16 limits, which the host counts as saturated) */
        v[i] = mujo_quantize((float)sensor_value_to_double(&acc[i]), (float)(acc_g * 9.80665));
        v[3 + i] = mujo_quantize((float)sensor_value_to_double(&gyr[i]), (float)(gyro_dps * 3.14159265358979 / 180.0));
    }
    uint64_t t = now_us();
    int kept = mujo_stream_offer(&stream, v, t);
#ifdef MUJO_ON_BOARD
    if (kept && (stream.format & MUJO_FORMAT_ON_BOARD) && mujo_window_push(&window, v, stream.last_index) &&
        !window_ready) { /* a window completed; if the previous one is still being classified, this one is skipped */
        mujo_window_copy(&window, window_input, sizeof window_input);
        window_end_us = (uint32_t)t;
        window_ready = true;
        k_sem_give(&result_sem);
    }
#endif
    k_mutex_unlock(&stream_lock);
    if (kept) k_sem_give(&tx_sem);
}
K_WORK_DEFINE(sample_work, sample_work_fn);

static void sample_timer(struct k_timer *t) { k_work_submit(&sample_work); }
K_TIMER_DEFINE(imu_timer, sample_timer, NULL);

#ifdef MUJO_ON_BOARD
/* classification thread: one window at a time, outside stream_lock */
static void classify_thread(void *a, void *b, void *c) {
    uint8_t pkt[MUJO_RESULT_MAX_SIZE];
    for (;;) {
        k_sem_take(&result_sem, K_FOREVER);
        uint8_t cls = 0;
        float p = 0.0f;
        int ok = mujo_onboard_classify(window_input, &cls, &p) == 0;
        k_mutex_lock(&stream_lock, K_FOREVER);
        uint16_t seq = result_seq++;
        uint32_t t_end = window_end_us;
        window_ready = false;
        k_mutex_unlock(&stream_lock);
        size_t len = ok ? mujo_encode_result(pkt, sizeof pkt, 0, seq, t_end, cls, (uint8_t)MUJO_NUM_CLASSES, p) : 0;
        if (len && current && results_enabled) bt_gatt_notify(current, &mujo_svc.attrs[6], pkt, (uint16_t)len);
    }
}
K_THREAD_DEFINE(classify_tid, 8192, classify_thread, NULL, NULL, NULL, 7, 0, 0);
#endif

int main(void) {
    mujo_stream_init(&stream, ring_storage, 256, RATES_MHZ, sizeof RATES_MHZ / sizeof RATES_MHZ[0], 23);
#ifdef MUJO_ON_BOARD
    stream.on_board = (uint8_t)(mujo_onboard_init() == 0); /* START may ask for results only when the model runs */
#endif
    if (!device_is_ready(imu) || bt_enable(NULL)) return 0;
    bt_gatt_cb_register(&gatt_cb);
    bt_le_adv_start(BT_LE_ADV_CONN, ad, ARRAY_SIZE(ad), sd, ARRAY_SIZE(sd));
    k_timer_start(&imu_timer, K_USEC(1000000 / SENSOR_ODR_HZ), K_USEC(1000000 / SENSOR_ODR_HZ));
    uint8_t pkt[MUJO_HEADER_SIZE + 83 * 12];
    for (;;) {
        k_sem_take(&tx_sem, K_MSEC(100));
        while (current && notify_enabled) {
            k_mutex_lock(&stream_lock, K_FOREVER);
            size_t len = mujo_stream_poll(&stream, pkt, sizeof pkt);
            k_mutex_unlock(&stream_lock);
            if (len == 0) break;
            /* outside the lock: blocks while the stack's TX buffers are full; the ring absorbs the stall */
            bt_gatt_notify(current, &mujo_svc.attrs[3], pkt, (uint16_t)len);
        }
    }
}
