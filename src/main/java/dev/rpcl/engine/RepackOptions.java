package dev.rpcl.engine;

import dev.rpcl.catalog.Carrier;
import dev.rpcl.catalog.Carriers;
import java.util.List;

/**
 * Engine settings that are not in the configuration file. {@code maxSwapAttempts} bounds the
 * lock attempts of one table's swap; {@code maxCatchUpRounds} bounds the check_time samples that
 * find the replay slower than the incoming changes; both end with the table cleaned up and
 * reported failed, never with an endless loop.
 */
public record RepackOptions(
        TableCustomizer customizer,
        List<Carrier> carriers,
        int maxSwapAttempts,
        int maxCatchUpRounds) {

    public RepackOptions {
        carriers = List.copyOf(carriers);
        if (maxSwapAttempts < 1 || maxCatchUpRounds < 1) {
            throw new IllegalArgumentException("attempts and rounds must be at least 1");
        }
    }

    public static RepackOptions defaults() {
        return new RepackOptions(TableCustomizer.NONE, Carriers.all(), 8, 5);
    }

    public RepackOptions withCustomizer(TableCustomizer c) {
        return new RepackOptions(c, carriers, maxSwapAttempts, maxCatchUpRounds);
    }
}
