package dev.rpcl.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where the time of one swap attempt goes, part by part, so that a DBA (and the benchmark) can see
 * what holds the ACCESS EXCLUSIVE lock. Each {@link #lap} charges the time since the previous one
 * to a named part; parts with the same name add up.
 */
final class SwapTimings {
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private long mark = System.nanoTime();

    /** Charges the time since the last lap (or since creation) to {@code part}. */
    void lap(String part) {
        long now = System.nanoTime();
        nanos.merge(part, now - mark, Long::sum);
        mark = now;
    }

    long millis(String part) {
        return nanos.getOrDefault(part, 0L) / 1_000_000;
    }

    /** "replay 1.2, fingerprint 0.8, ..." in milliseconds with one decimal, in the order first lapped. */
    String breakdown() {
        StringJoiner out = new StringJoiner(", ");
        nanos.forEach((part, n) -> out.add(part + " " + String.format(java.util.Locale.ROOT, "%.1f", n / 1e6)));
        return out.toString();
    }
}
