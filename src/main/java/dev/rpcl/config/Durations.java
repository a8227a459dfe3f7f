package dev.rpcl.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PostgreSQL-style durations ("3s", "500ms", "1min", "2h", "1d"); a bare number takes a given unit. */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|min|h|d)?");

    /** The unit of a bare number: lock_timeout counts in milliseconds as PostgreSQL does, check_time in seconds as repcloud does. */
    public enum Unit { MILLISECONDS, SECONDS }

    private Durations() {
    }

    /** The duration, or null when the text is not one. */
    public static Duration parse(String text, Unit bareUnit) {
        Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return null;
        }
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) != null ? m.group(2) : (bareUnit == Unit.SECONDS ? "s" : "ms");
        double millis = switch (unit) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "min" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> amount * 86_400_000;
        };
        return Duration.ofMillis(Math.round(millis));
    }

    /** The shortest exact form in the config's own units: 3s, 500ms, 2min, 1h. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "min";
        }
        if (ms % 1_000 == 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }

    /** The form PostgreSQL's SET lock_timeout understands. */
    public static String toPostgres(Duration d) {
        return d.toMillis() + "ms";
    }
}
