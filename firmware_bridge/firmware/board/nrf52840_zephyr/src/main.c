/*
 * NOT BUILT HERE — nRF52840 + Zephyr glue for the mujo-edge IMU protocol (see ../README.md).
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

/* 6d756a6f-6564-6765-0000-00000000000X, little-endian as Zephyr expects */
#define MUJO_UUID(x) BT_UUID_128_ENCODE(0x6d756a6f, 0x6564, 0x6765, 0x0000, 0x00000000000##x)
static const struct bt_uuid_128 svc_uuid = BT_UUID_INIT_128(MUJO_UUID(0));
static const struct bt_uuid_128 ctl_uuid = BT_UUID_INIT_128(MUJO_UUID(1));
static const struct bt_uuid_128 dat_uuid = BT_UUID_INIT_128(MUJO_UUID(2));

#define SENSOR_ODR_HZ 416
static const uint32_t RATES_MHZ[] = {26000u, 52000u, 104000u, 208000u};
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
    (void)mujo_stream_control(&stream, buf, len, now_us()); /* errors are reported in the status */
    k_mutex_unlock(&stream_lock);
    return len;
}

static void ccc_changed(const struct bt_gatt_attr *attr, uint16_t value) {
    notify_enabled = (value == BT_GATT_CCC_NOTIFY);
}

BT_GATT_SERVICE_DEFINE(mujo_svc, BT_GATT_PRIMARY_SERVICE(&svc_uuid),
                       BT_GATT_CHARACTERISTIC(&ctl_uuid.uuid, BT_GATT_CHRC_READ | BT_GATT_CHRC_WRITE,
                                              BT_GATT_PERM_READ | BT_GATT_PERM_WRITE, read_ctl, write_ctl, NULL),
                       BT_GATT_CHARACTERISTIC(&dat_uuid.uuid, BT_GATT_CHRC_NOTIFY, BT_GATT_PERM_NONE, NULL, NULL,
                                              NULL),
                       BT_GATT_CCC(ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE));

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
    int kept = mujo_stream_offer(&stream, v, now_us());
    k_mutex_unlock(&stream_lock);
    if (kept) k_sem_give(&tx_sem);
}
K_WORK_DEFINE(sample_work, sample_work_fn);

static void sample_timer(struct k_timer *t) { k_work_submit(&sample_work); }
K_TIMER_DEFINE(imu_timer, sample_timer, NULL);

int main(void) {
    mujo_stream_init(&stream, ring_storage, 256, RATES_MHZ, 4, 23);
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
