package dev.rpcl.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PostgreSQL-style sizes ("64MB", "1GB", "512kB", "100 B"); a bare number is bytes. Units are powers of 1024, as in PostgreSQL. */
public final class ByteSizes {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(b|kb|mb|gb|tb)?");

    private ByteSizes() {
    }

    /** A TOML value (a string such as "64MB", or a whole number of bytes) in bytes, or -1 when it is not a size. */
    public static long of(Object value) {
        return value instanceof String || value instanceof Long ? parse(value.toString()) : -1;
    }

    /** The size in bytes, or -1 when the text is not one. */
    public static long parse(String text) {
        Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return -1;
        }
        double amount = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2) == null ? "b" : m.group(2)) {
            case "kb" -> 10;
            case "mb" -> 20;
            case "gb" -> 30;
            case "tb" -> 40;
            default -> 0;
        };
        return Math.round(amount * (1L << shift));
    }
}
