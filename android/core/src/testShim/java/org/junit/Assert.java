package org.junit;

import java.util.Arrays;
import java.util.Objects;

/** Minimal stand-in for the JUnit 4 assertions the core's tests use (same signatures, same overloads). */
public final class Assert {
    private Assert() {
    }

    private static String prefix(String message) {
        return message == null ? "" : message + " ";
    }

    public static void fail(String message) {
        throw new AssertionError(message);
    }

    public static void fail() {
        throw new AssertionError();
    }

    public static void assertTrue(String message, boolean condition) {
        if (!condition) {
            fail(message);
        }
    }

    public static void assertTrue(boolean condition) {
        assertTrue(null, condition);
    }

    public static void assertFalse(String message, boolean condition) {
        assertTrue(message, !condition);
    }

    public static void assertFalse(boolean condition) {
        assertTrue(null, !condition);
    }

    public static void assertNull(String message, Object o) {
        assertTrue(prefix(message) + "expected null, got " + o, o == null);
    }

    public static void assertNull(Object o) {
        assertNull(null, o);
    }

    public static void assertNotNull(String message, Object o) {
        assertTrue(prefix(message) + "expected a value, got null", o != null);
    }

    public static void assertNotNull(Object o) {
        assertNotNull(null, o);
    }

    public static void assertEquals(String message, Object expected, Object actual) {
        if (!Objects.equals(expected, actual)) {
            fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + ">");
        }
    }

    public static void assertEquals(Object expected, Object actual) {
        assertEquals(null, expected, actual);
    }

    public static void assertEquals(String message, long expected, long actual) {
        if (expected != actual) {
            fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + ">");
        }
    }

    public static void assertEquals(long expected, long actual) {
        assertEquals(null, expected, actual);
    }

    public static void assertEquals(String message, double expected, double actual, double delta) {
        if (Double.compare(expected, actual) != 0 && !(Math.abs(expected - actual) <= delta)) {
            fail(prefix(message) + "expected:<" + expected + "> but was:<" + actual + ">");
        }
    }

    public static void assertEquals(double expected, double actual, double delta) {
        assertEquals(null, expected, actual, delta);
    }

    public static void assertEquals(String message, float expected, float actual, float delta) {
        assertEquals(message, (double) expected, (double) actual, (double) delta);
    }

    public static void assertEquals(float expected, float actual, float delta) {
        assertEquals(null, expected, actual, delta);
    }

    public static void assertArrayEquals(String message, byte[] expected, byte[] actual) {
        assertTrue(prefix(message) + Arrays.toString(expected) + " != " + Arrays.toString(actual), Arrays.equals(expected, actual));
    }

    public static void assertArrayEquals(byte[] expected, byte[] actual) {
        assertArrayEquals(null, expected, actual);
    }

    public static void assertArrayEquals(String message, int[] expected, int[] actual) {
        assertTrue(prefix(message) + Arrays.toString(expected) + " != " + Arrays.toString(actual), Arrays.equals(expected, actual));
    }

    public static void assertArrayEquals(int[] expected, int[] actual) {
        assertArrayEquals(null, expected, actual);
    }

    public static void assertArrayEquals(String message, long[] expected, long[] actual) {
        assertTrue(prefix(message) + Arrays.toString(expected) + " != " + Arrays.toString(actual), Arrays.equals(expected, actual));
    }

    public static void assertArrayEquals(long[] expected, long[] actual) {
        assertArrayEquals(null, expected, actual);
    }

    public static void assertArrayEquals(String message, Object[] expected, Object[] actual) {
        assertTrue(prefix(message) + Arrays.toString(expected) + " != " + Arrays.toString(actual), Arrays.equals(expected, actual));
    }

    public static void assertArrayEquals(Object[] expected, Object[] actual) {
        assertArrayEquals(null, expected, actual);
    }

    public static void assertArrayEquals(String message, double[] expected, double[] actual, double delta) {
        if (expected.length != actual.length) {
            fail(prefix(message) + "array lengths differ: " + expected.length + " vs " + actual.length);
        }
        for (int k = 0; k < expected.length; k++) {
            assertEquals(prefix(message) + "index " + k, expected[k], actual[k], delta);
        }
    }

    public static void assertArrayEquals(double[] expected, double[] actual, double delta) {
        assertArrayEquals(null, expected, actual, delta);
    }
}
