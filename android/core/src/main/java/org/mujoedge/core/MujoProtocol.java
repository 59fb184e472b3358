package org.mujoedge.core;

import java.util.Arrays;

/**
 * The mujo-edge IMU GATT protocol, version 1, host side (byte-exact spec: {@code firmware_bridge/PROTOCOL.md};
 * twin of {@code mujo_edge.firmware_bridge.protocol} and the host parts of {@code client}).
 *
 * <p>Data packet: 12-byte little-endian header (version, format, seq u16, t_first_us u32, count, ranges, CRC-16)
 * then {@code count} interleaved int16 samples. Control: START (9 bytes) / STOP (1 byte) writes, a 16-byte status.
 */
public final class MujoProtocol {
    private MujoProtocol() {
    }

    public static final int VERSION = 1;
    public static final String SERVICE_UUID = "6d756a6f-6564-6765-0000-000000000000";
    public static final String CONTROL_UUID = "6d756a6f-6564-6765-0000-000000000001";
    public static final String DATA_UUID = "6d756a6f-6564-6765-0000-000000000002";
    public static final int HEADER_SIZE = 12;
    public static final int STATUS_SIZE = 16;
    public static final int ATT_OVERHEAD = 3;
    public static final int DEFAULT_ATT_MTU = 23;
    public static final long SEQ_MODULO = 1L << 16;
    public static final long TIME_MODULO = 1L << 32;
    public static final int FORMAT_IMU6 = 1;
    public static final int FORMAT_ACC3 = 2;
    public static final int[] ACC_RANGES_G = {2, 4, 8, 16};
    public static final int[] GYRO_RANGES_DPS = {125, 250, 500, 1000, 2000};
    /** Notifications per second the host aims for when it picks the batch. */
    public static final double TARGET_NOTIFY_HZ = 25.0;
    public static final double STANDARD_GRAVITY = 9.80665;
    public static final String[] DEVICE_ERRORS = {"OK", "UNKNOWN_OPCODE", "BAD_LENGTH", "UNSUPPORTED_VERSION",
            "UNSUPPORTED_FORMAT", "UNSUPPORTED_RATE", "UNSUPPORTED_RANGE", "BATCH_TOO_LARGE"};

    /** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF); {@code crc16("123456789") == 0x29B1}. */
    public static int crc16(byte[] data, int off, int len) {
        int crc = 0xFFFF;
        for (int k = off; k < off + len; k++) {
            crc ^= (data[k] & 0xFF) << 8;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }

    static int crcOfPacket(byte[] p) {
        byte[] body = new byte[p.length - 2];
        System.arraycopy(p, 0, body, 0, HEADER_SIZE - 2);
        System.arraycopy(p, HEADER_SIZE, body, HEADER_SIZE - 2, p.length - HEADER_SIZE);
        return crc16(body, 0, body.length);
    }

    /** Channel names of a sample format; unknown formats throw. */
    public static String[] channels(int fmt) {
        if (fmt == FORMAT_IMU6) {
            return SensorSpec.IMU_CHANNELS.clone();
        }
        if (fmt == FORMAT_ACC3) {
            return SensorSpec.ACC_CHANNELS.clone();
        }
        throw new ProtocolException("unknown sample format " + fmt + "; valid: 1 (IMU6), 2 (ACC3)");
    }

    static String formatName(int fmt) {
        return fmt == FORMAT_IMU6 ? "IMU6" : fmt == FORMAT_ACC3 ? "ACC3" : "format " + fmt;
    }

    /** Bytes per sample of a format. */
    public static int sampleSize(int fmt) {
        return 2 * channels(fmt).length;
    }

    /** Most samples of {@code fmt} one notification carries at ATT MTU {@code attMtu} (capped at 255). */
    public static int maxBatch(int fmt, int attMtu) {
        return Math.max(0, Math.min(255, Math.floorDiv(attMtu - ATT_OVERHEAD - HEADER_SIZE, sampleSize(fmt))));
    }

    /**
     * Samples per notification the host asks for: {@code requested} (0: about 25 notifications/s), at most what
     * fits one notification; throws when not even one sample fits (the link kept the 23-byte default MTU).
     */
    public static int chooseBatch(int requested, double rateHz, int attMtu, int fmt) {
        int most = maxBatch(fmt, attMtu);
        if (most < 1) {
            throw new MujoException("the ATT MTU is " + attMtu + " bytes, too small for one " + formatName(fmt)
                    + " sample (needs >= " + (ATT_OVERHEAD + HEADER_SIZE + sampleSize(fmt)) + "); let the device and "
                    + "the phone exchange a larger MTU (requestMtu(247))");
        }
        if (requested > most) {
            return most;
        }
        return requested != 0 ? requested : Math.max(1, Math.min(most, (int) Math.rint(rateHz / TARGET_NOTIFY_HZ)));
    }

    /** The ATT MTU to size batches for, from what the phone's stack and the device's status report (null: unknown). */
    public static int usableAttMtu(Integer hostMtu, Integer deviceMtu) {
        Integer dev = deviceMtu != null && deviceMtu >= DEFAULT_ATT_MTU ? deviceMtu : null;
        Integer host = hostMtu != null && hostMtu > DEFAULT_ATT_MTU ? hostMtu : null;
        if (dev != null && host != null) {
            return Math.min(dev, host);
        }
        return dev != null ? dev : host != null ? host : DEFAULT_ATT_MTU;
    }

    /** Range byte: accelerometer code in bits 0-2, gyroscope code in bits 3-5. */
    public static int packRanges(int accRangeG, int gyroRangeDps) {
        int a = indexOf(ACC_RANGES_G, accRangeG);
        int g = indexOf(GYRO_RANGES_DPS, gyroRangeDps);
        if (a < 0 || g < 0) {
            throw new ProtocolException("ranges ±" + accRangeG + " g / ±" + gyroRangeDps + " dps not supported; valid: "
                    + Arrays.toString(ACC_RANGES_G) + " g, " + Arrays.toString(GYRO_RANGES_DPS) + " dps");
        }
        return a | (g << 3);
    }

    /** {@code {accRangeG, gyroRangeDps}} of a range byte; invalid codes throw. */
    public static int[] unpackRanges(int b) {
        int acc = b & 0x07;
        int gyro = (b >> 3) & 0x07;
        if ((b & 0xC0) != 0 || acc >= ACC_RANGES_G.length || gyro >= GYRO_RANGES_DPS.length) {
            throw new ProtocolException(String.format("invalid range byte 0x%02x (acc code %d, gyro code %d, reserved bits %d); "
                    + "acc codes 0-3, gyro codes 0-4", b, acc, gyro, b >> 6));
        }
        return new int[] {ACC_RANGES_G[acc], GYRO_RANGES_DPS[gyro]};
    }

    private static int indexOf(int[] a, int v) {
        for (int k = 0; k < a.length; k++) {
            if (a[k] == v) {
                return k;
            }
        }
        return -1;
    }

    /** SI units per LSB of each channel: acc {@code range·g/32768} m/s², gyro {@code range·π/180/32768} rad/s. */
    public static double[] siScale(int fmt, int accRangeG, int gyroRangeDps) {
        double acc = accRangeG * STANDARD_GRAVITY / 32768.0;
        double gyro = gyroRangeDps * Math.PI / 180.0 / 32768.0;
        String[] ch = channels(fmt);
        double[] out = new double[ch.length];
        for (int c = 0; c < ch.length; c++) {
            out[c] = ch[c].startsWith("acc") ? acc : gyro;
        }
        return out;
    }

    static int u8(byte[] d, int o) {
        return d[o] & 0xFF;
    }

    static int u16(byte[] d, int o) {
        return (d[o] & 0xFF) | ((d[o + 1] & 0xFF) << 8);
    }

    static long u32(byte[] d, int o) {
        return (u16(d, o) | ((long) u16(d, o + 2) << 16)) & 0xFFFFFFFFL;
    }

    /** Decodes one data notification of a device streaming at {@code rateHz}; malformed input throws. */
    public static SampleBatch decodePacket(byte[] data, double rateHz) {
        if (data.length < HEADER_SIZE) {
            throw new ProtocolException("packet of " + data.length + " bytes is shorter than the 12-byte header");
        }
        int version = u8(data, 0);
        if (version != VERSION) {
            throw new ProtocolException("protocol version " + version + " not supported; this decoder speaks " + VERSION);
        }
        int crc = u16(data, 10);
        int got = crcOfPacket(data);
        if (got != crc) {
            throw new ProtocolException(String.format("CRC mismatch (packet says 0x%04x, content gives 0x%04x)", crc, got));
        }
        int fmt = u8(data, 1);
        String[] ch = channels(fmt);
        int size = 2 * ch.length;
        int count = u8(data, 8);
        if (count == 0 || data.length != HEADER_SIZE + count * size) {
            throw new ProtocolException("packet length " + data.length + " does not fit " + count + " " + formatName(fmt)
                    + " samples (12 + " + count + "×" + size + " bytes)");
        }
        int[] ranges = unpackRanges(u8(data, 9));
        if (!(Double.isFinite(rateHz) && rateHz > 0)) {
            throw new ProtocolException("stream rate must be > 0 Hz, got " + rateHz);
        }
        double[] scale = siScale(fmt, ranges[0], ranges[1]);
        float[][] samples = new float[count][ch.length];
        int saturated = 0;
        for (int i = 0; i < count; i++) {
            boolean sat = false;
            for (int c = 0; c < ch.length; c++) {
                int raw = (short) u16(data, HEADER_SIZE + (i * ch.length + c) * 2);
                sat |= raw == 32767 || raw == -32768;
                samples[i][c] = (float) (raw * scale[c]);
            }
            saturated += sat ? 1 : 0;
        }
        return new SampleBatch(u32(data, 4), 1e6 / rateHz, samples, ch, u16(data, 2), SEQ_MODULO, TIME_MODULO, saturated);
    }

    /** The 9-byte START write: opcode, version, format, ranges, rate in mHz (u32), batch. */
    public static byte[] startCommand(double rateHz, int fmt, int accRangeG, int gyroRangeDps, int batch) {
        long mhz = (long) Math.rint(rateHz * 1000);
        if (mhz <= 0 || mhz >= (1L << 32) || batch < 0 || batch > 255) {
            throw new ProtocolException("START needs 0 < rate < 4.29 MHz and batch 0..255, got " + rateHz + " Hz, " + batch);
        }
        int r = packRanges(accRangeG, gyroRangeDps);
        return new byte[] {1, (byte) VERSION, (byte) fmt, (byte) r, (byte) mhz, (byte) (mhz >> 8), (byte) (mhz >> 16),
                (byte) (mhz >> 24), (byte) batch};
    }

    /** The 1-byte STOP write. */
    public static byte[] stopCommand() {
        return new byte[] {2};
    }

    /** The 16-byte status record read from the control characteristic. */
    public static final class DeviceStatus {
        public final int version;
        public final int state;
        public final int error;
        public final int fmt;
        public final int accRangeG;
        public final int gyroRangeDps;
        public final int batch;
        public final int attMtu;
        public final double rateHz;
        public final long tNowUs;

        private DeviceStatus(byte[] d) {
            if (d.length != STATUS_SIZE) {
                throw new ProtocolException("status record must be 16 bytes, got " + d.length);
            }
            version = u8(d, 0);
            state = u8(d, 1);
            error = u8(d, 2);
            fmt = u8(d, 3);
            int[] r = unpackRanges(u8(d, 4));
            accRangeG = r[0];
            gyroRangeDps = r[1];
            batch = u8(d, 5);
            attMtu = u16(d, 6);
            rateHz = u32(d, 8) / 1000.0;
            tNowUs = u32(d, 12);
            if (state > 1 || error >= DEVICE_ERRORS.length) {
                throw new ProtocolException("status has unknown state " + state + " or error " + error);
            }
        }

        public static DeviceStatus decode(byte[] d) {
            return new DeviceStatus(d);
        }

        /** The error field's name. */
        public String errorName() {
            return DEVICE_ERRORS[error];
        }
    }

    /** Decoder of one started stream: the rate and format the device's status reported. */
    public static final class MujoDecoder implements Decoder {
        private final double rateHz;
        private final int fmt;

        public MujoDecoder(double rateHz, int fmt) {
            this.rateHz = rateHz;
            this.fmt = fmt;
            MujoProtocol.channels(fmt);  // unknown formats throw here
        }

        @Override
        public double rateHz() {
            return rateHz;
        }

        @Override
        public String[] channels() {
            return MujoProtocol.channels(fmt);
        }

        @Override
        public SampleBatch decode(byte[] data) {
            SampleBatch b = decodePacket(data, rateHz);
            if (!Arrays.equals(b.channels, channels())) {
                throw new ProtocolException("packet format carries " + Arrays.toString(b.channels)
                        + ", the stream was started as " + Arrays.toString(channels()));
            }
            return b;
        }
    }
}
