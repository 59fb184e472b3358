package org.mujoedge.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader (RFC 8259) for sidecars and golden vectors, so the core needs no library.
 *
 * <p>Objects become {@code LinkedHashMap<String, Object>} (key order kept), arrays {@code List<Object>},
 * strings {@code String}, {@code true}/{@code false} {@code Boolean}, {@code null} {@code null}. Numbers
 * without a fraction or exponent become {@code Long} (so nanosecond timestamps stay exact), others
 * {@code Double} (parsed by {@link Double#parseDouble}, which gives the same double as Python's
 * {@code float()} of the shortest repr Python writes).
 */
public final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parses a whole JSON document; trailing content or malformed input throws {@link MujoException}. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) {
            throw p.error("trailing content");
        }
        return v;
    }

    /** Parses a document that must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new MujoException("expected a JSON object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    static String typeName(Object v) {
        return v == null ? "null" : v instanceof Map ? "object" : v instanceof List ? "array"
                : v instanceof String ? "string" : v instanceof Boolean ? "boolean" : "number";
    }

    private MujoException error(String what) {
        return new MujoException("invalid JSON at character " + i + ": " + what);
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            i++;
        }
    }

    private Object value() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected '" + c + "'");
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw error("expected " + word);
        }
        i += word.length();
        return v;
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String k = string();
            ws();
            expect(':');
            ws();
            m.put(k, value());
            ws();
            char c = next();
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array() {
        List<Object> a = new ArrayList<>();
        i++;
        ws();
        if (peek() == ']') {
            i++;
            return a;
        }
        while (true) {
            ws();
            a.add(value());
            ws();
            char c = next();
            if (c == ']') {
                return a;
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        i++;
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    if (i + 4 > s.length()) {
                        throw error("truncated \\u escape");
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    i += 4;
                    break;
                default:
                    throw error("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = i;
        boolean integral = true;
        if (peek() == '-') {
            i++;
        }
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                i++;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                integral = false;
                i++;
            } else {
                break;
            }
        }
        String t = s.substring(start, i);
        try {
            if (integral) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException tooBig) {
                    return Double.parseDouble(t);
                }
            }
            return Double.parseDouble(t);
        } catch (NumberFormatException ex) {
            throw error("bad number " + t);
        }
    }

    private char peek() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private char next() {
        char c = peek();
        i++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    // ------------------------------------------------------------------ typed access with clear errors
    /** {@code m.get(key)} as an object; a missing key or another type throws naming {@code where}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> obj(Map<String, Object> m, String key, String where) {
        Object v = need(m, key, where);
        if (!(v instanceof Map)) {
            throw new MujoException(where + "." + key + " must be an object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    /** {@code m.get(key)} as an array. */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> m, String key, String where) {
        Object v = need(m, key, where);
        if (!(v instanceof List)) {
            throw new MujoException(where + "." + key + " must be an array, got " + typeName(v));
        }
        return (List<Object>) v;
    }

    /** {@code m.get(key)} as a string. */
    public static String str(Map<String, Object> m, String key, String where) {
        Object v = need(m, key, where);
        if (!(v instanceof String)) {
            throw new MujoException(where + "." + key + " must be a string, got " + typeName(v));
        }
        return (String) v;
    }

    /** {@code m.get(key)} as a number (double). */
    public static double num(Map<String, Object> m, String key, String where) {
        Object v = need(m, key, where);
        if (!(v instanceof Number) || v instanceof Boolean) {
            throw new MujoException(where + "." + key + " must be a number, got " + typeName(v));
        }
        return ((Number) v).doubleValue();
    }

    /** {@code m.get(key)} as an integer (a JSON number without fraction). */
    public static long integer(Map<String, Object> m, String key, String where) {
        Object v = need(m, key, where);
        if (!(v instanceof Long)) {
            throw new MujoException(where + "." + key + " must be an integer, got " + v);
        }
        return (Long) v;
    }

    private static Object need(Map<String, Object> m, String key, String where) {
        if (!m.containsKey(key)) {
            throw new MujoException(where + " has no '" + key + "'");
        }
        return m.get(key);
    }
}
