package dev.rpcl.config;

import dev.rpcl.RpclException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/** Typed access to TOML values, with one error message style; keys are full dotted names. */
final class TomlValues {
    final Path file;
    final RpclHome home;
    final List<String> warnings = new ArrayList<>();

    TomlValues(Path file, RpclHome home) {
        this.file = file;
        this.home = home;
    }

    private static String leaf(String key) {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    private static Object raw(TomlTable t, String key) {
        return t == null ? null : t.get(List.of(leaf(key)));
    }

    RpclException bad(String key, Object value, String allowed) {
        return RpclException.badInput("Bad value " + show(value) + " for " + key + " in " + file
                + ": " + allowed + ".");
    }

    /** A value as it is written in the file: a string quoted, a list as a TOML array. */
    static String show(Object value) {
        if (value instanceof TomlArray array) {
            List<String> items = new ArrayList<>();
            for (Object item : array.toList()) {
                items.add(item instanceof String str ? '"' + str + '"' : show(item));
            }
            return "[" + String.join(", ", items) + "]";
        }
        if (value instanceof TomlTable) {
            return "(a section)";
        }
        return value instanceof String ? "'" + value + "'" : String.valueOf(value);
    }

    void warnUnknown(TomlTable t, String prefix, Set<String> known) {
        if (t == null) {
            return;
        }
        for (String key : t.keySet()) {
            if (!known.contains(key)) {
                warnings.add("Unknown key " + prefix + key + " in " + file + " is ignored.");
            }
        }
    }

    void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw RpclException.badInput("Missing " + key + " in " + file + "; it is required.");
        }
    }

    TomlTable table(TomlTable t, String key) {
        Object v = raw(t, key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof TomlTable table)) {
            throw bad(key, v, "expected a section [" + key + "]");
        }
        return table;
    }

    String string(TomlTable t, String key, String fallback) {
        Object v = raw(t, key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String || v instanceof Long) {
            return v.toString();
        }
        throw bad(key, v, "expected a string");
    }

    Path path(TomlTable t, String key, Path fallback) {
        String v = string(t, key, null);
        return v == null ? fallback : Path.of(home.expand(v)).toAbsolutePath().normalize();
    }

    String choice(TomlTable t, String key, String fallback, List<String> allowed) {
        String v = string(t, key, fallback);
        String normalised = v.trim().toLowerCase(Locale.ROOT);
        if (!allowed.contains(normalised)) {
            throw bad(key, v, "allowed values are " + String.join(", ", allowed));
        }
        return normalised;
    }

    int integer(TomlTable t, String key, int fallback, int min, int max) {
        Object v = raw(t, key);
        if (v == null) {
            return fallback;
        }
        long value;
        if (v instanceof Long l) {
            value = l;
        } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
            value = Long.parseLong(s.trim());
        } else {
            throw bad(key, v, "expected a whole number from " + min + " to " + max);
        }
        if (value < min || value > max) {
            throw bad(key, v, "expected a whole number from " + min + " to " + max);
        }
        return (int) value;
    }

    boolean bool(TomlTable t, String key, boolean fallback) {
        Object v = raw(t, key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "yes", "y", "true", "on", "1":
                    return true;
                case "no", "n", "false", "off", "0":
                    return false;
                default:
                    break;
            }
        }
        throw bad(key, v, "expected true or false (\"yes\" and \"no\" are accepted too)");
    }

    java.time.Duration duration(TomlTable t, String key, String fallback, Durations.Unit bareUnit) {
        Object v = raw(t, key);
        String text = v == null ? fallback : (v instanceof String || v instanceof Long) ? v.toString() : null;
        java.time.Duration d = text == null ? null : Durations.parse(text, bareUnit);
        if (d == null || d.isNegative()) {
            throw bad(key, v, "expected a duration such as \"3s\", \"500ms\" or \"1min\" (a bare number is "
                    + (bareUnit == Durations.Unit.SECONDS ? "seconds" : "milliseconds") + ")");
        }
        return d;
    }

    /**
     * lock_timeout 0 means "wait forever" to PostgreSQL, the one thing the swap must never do; and
     * the server takes at most 2147483647 ms (about 24 days), past which the first lock would fail.
     */
    java.time.Duration lockTimeout(TomlTable t, String key) {
        java.time.Duration d = duration(t, key, "3s", Durations.Unit.MILLISECONDS);
        if (d.isZero()) {
            throw bad(key, raw(t, key), "it must be more than 0, since 0 would let the swap wait for its lock forever;"
                    + " e.g. \"3s\"");
        }
        if (d.toMillis() > Integer.MAX_VALUE) {
            throw bad(key, raw(t, key), "PostgreSQL takes at most 2147483647 ms (about 24 days), and a swap should wait"
                    + " seconds; e.g. \"3s\"");
        }
        return d;
    }

    /** A size such as "64MB" or a number of bytes. */
    long size(TomlTable t, String key, String fallback) {
        Object v = raw(t, key);
        long bytes = ByteSizes.of(v == null ? fallback : v);
        if (bytes < 0) {
            throw bad(key, v, SIZE_EXPECTED);
        }
        return bytes;
    }

    static final String SIZE_EXPECTED = "expected a size such as \"64MB\", \"1GB\" or \"512kB\" (a bare number is bytes)";
    static final String FRACTION_EXPECTED = "expected a fraction from 0 to 1, such as 0.2 or \"20%\"";

    /** A fraction from 0 to 1, written 0.2 or "20%". */
    double fraction(TomlTable t, String key, double fallback) {
        Object v = raw(t, key);
        if (v == null) {
            return fallback;
        }
        Double d = fractionOf(v);
        if (d == null) {
            throw bad(key, v, FRACTION_EXPECTED);
        }
        return d;
    }

    /** A TOML value as a fraction from 0 to 1 (0.2, 1, "20%", "0.2"), or null when it is not one. */
    static Double fractionOf(Object v) {
        Double d = null;
        if (v instanceof Double x) {
            d = x;
        } else if (v instanceof Long x) {
            d = x.doubleValue();
        } else if (v instanceof String s) {
            String text = s.trim();
            try {
                d = text.endsWith("%") ? Double.parseDouble(text.substring(0, text.length() - 1).trim()) / 100
                        : Double.parseDouble(text);
            } catch (NumberFormatException e) {
                d = null;
            }
        }
        return d == null || d.isNaN() || d < 0 || d > 1 ? null : d;
    }

    List<String> stringList(TomlTable t, String key) {
        Object v = raw(t, key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof TomlArray array)) {
            // A bare string is refused, not taken for a list of one: repcloud read it letter by letter.
            throw bad(key, v, "expected a list of strings, e.g. ['a', 'b'] (one item is written ['a'])");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String s)) {
                throw bad(key, array.get(i), "expected a list of strings, e.g. ['a', 'b']");
            }
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }
}
