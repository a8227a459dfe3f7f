package dev.rpcl.config;

import dev.rpcl.RpclException;
import dev.rpcl.config.TableConf.Fillfactor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tomlj.TomlArray;

/**
 * Typed values of a table_conf file, with one message style: the value, the key, the section
 * (and column) and the file, then what is expected. Strings are accepted where repcloud's files
 * wrote them ("30", "yes").
 */
final class TableConfValues {
    private static final int MIN_FILLFACTOR = 10;
    private static final int MAX_FILLFACTOR = 100;

    private final Path file;

    TableConfValues(Path file) {
        this.file = file;
    }

    Fillfactor fillfactor(Object value, List<String> path) {
        String section = TomlNames.section(path);
        Long number = null;
        if (value instanceof Long l) {
            number = l;
        } else if (value instanceof String s && s.trim().matches("\\d{1,9}")) {
            number = Long.parseLong(s.trim());
        }
        if (number == null || number < MIN_FILLFACTOR || number > MAX_FILLFACTOR) {
            throw RpclException.badInput("Bad value " + show(value) + " for fillfactor in section " + section + " of "
                    + file + ": fillfactor is a whole number from " + MIN_FILLFACTOR + " to " + MAX_FILLFACTOR + ".");
        }
        return new Fillfactor(number.intValue(), section);
    }

    /** min_gain: a size such as "64MB", or bytes. */
    long size(Object value, List<String> path, String key) {
        long bytes = ByteSizes.of(value);
        if (bytes < 0) {
            throw bad(value, path, key, TomlValues.SIZE_EXPECTED);
        }
        return bytes;
    }

    /** engine: auto, rpcl or repack. */
    ConnectionConfig.Engine engine(Object value, List<String> path, String key) {
        if (value instanceof String s && ConnectionConfig.Engine.VALUES.contains(s.trim().toLowerCase(Locale.ROOT))) {
            return ConnectionConfig.Engine.of(s.trim());
        }
        throw bad(value, path, key, "expected \"auto\", \"rpcl\" or \"repack\"");
    }

    /** min_gain_ratio: a fraction from 0 to 1, written 0.2 or "20%". */
    double fraction(Object value, List<String> path, String key) {
        Double d = TomlValues.fractionOf(value);
        if (d == null) {
            throw bad(value, path, key, TomlValues.FRACTION_EXPECTED);
        }
        return d;
    }

    boolean bool(Object value, List<String> path, String key) {
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "yes", "true", "on", "1":
                    return true;
                case "no", "false", "off", "0":
                    return false;
                default:
                    break;
            }
        }
        throw bad(value, path, key, "expected true or false");
    }

    List<String> strings(Object value, List<String> path, String key) {
        if (value instanceof String s) {
            return List.of(s);
        }
        if (!(value instanceof TomlArray array)) {
            throw bad(value, path, key, "expected a list of key names, e.g. [\"key1\", \"key2\"]");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof String s)) {
                throw bad(array.get(i), path, key, "expected a list of key names, e.g. [\"key1\", \"key2\"]");
            }
            // Keys are kept exactly, spaces included: " a" and "a" are different jsonb keys.
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    private RpclException bad(Object value, List<String> path, String key, String expected) {
        List<String> section = path.subList(0, Math.min(2, path.size()));
        String column = path.size() > 2 ? ", column " + path.get(2) : "";
        return RpclException.badInput("Bad value " + show(value) + " for " + key + " in section "
                + TomlNames.section(section) + column + " of " + file + ": " + expected + ".");
    }

    private static String show(Object value) {
        return TomlValues.show(value);
    }
}
