package dev.rpcl.engine;

import java.util.Map;

/**
 * What happened to one table. {@code reason} says why a table was skipped or failed (one line a
 * DBA can act on), or carries a warning for a repacked one; sizes are pg_total_relation_size.
 * {@code engine} is what worked on the table ("rpcl" or {@link #CORE_REPACK}), null when nothing did.
 */
public record TableResult(
        String table,
        Status status,
        String reason,
        long sizeBefore,
        long sizeAfter,
        long rowsCopied,
        long rowsReplayed,
        int lockAttempts,
        long lockHeldMs,
        Map<String, Long> timingsMs,
        String engine) {

    /** {@link #engine} of a table repacked by REPACK (CONCURRENTLY); rpcl's own is {@code "rpcl"}. */
    public static final String CORE_REPACK = "repack";

    /** The outcome of a table. */
    public enum Status {
        /** Swapped: the table is compact now. */
        REPACKED,
        /** Copied and caught up, waiting for the swap (prepare_repack). */
        PREPARED,
        /** Not attempted; {@code reason} says why. */
        SKIPPED,
        /** Not needed: its estimated gain is under min_gain or min_gain_ratio ({@code reason} says which). */
        HEALTHY,
        /** Attempted and cleaned up (or left for abort_repack, as the reason says). */
        FAILED,
        /**
         * repack_tables could not swap it (its lock budget spent, or a replay that cannot catch
         * up) and kept it prepared, as on_swap_timeout = keep_prepared asks: replay_data keeps its
         * change log short until the next repack_tables swaps it.
         */
        LEFT_PREPARED,
        /** A stop was requested; the table was left clean or, if prepared, prepared. */
        STOPPED,
        /** abort_repack removed its triggers, log and copy. */
        ABORTED
    }

    public TableResult {
        timingsMs = Map.copyOf(timingsMs);
    }

    public static TableResult skipped(String table, long size, String reason) {
        return new TableResult(table, Status.SKIPPED, reason, size, 0, 0, 0, 0, 0, Map.of(), null);
    }

    public static TableResult of(String table, Status status, String reason) {
        return new TableResult(table, status, reason, 0, 0, 0, 0, 0, 0, Map.of(), null);
    }

    public boolean ok() {
        return status == Status.REPACKED || status == Status.PREPARED || status == Status.ABORTED || status == Status.HEALTHY;
    }

    public TableResult withSizeBefore(long size) {
        return new TableResult(table, status, reason, size, sizeAfter, rowsCopied, rowsReplayed, lockAttempts, lockHeldMs, timingsMs, engine);
    }

    public TableResult withSizeAfter(long size, String warning) {
        return new TableResult(table, status, warning != null ? warning : reason, sizeBefore, size, rowsCopied, rowsReplayed,
                lockAttempts, lockHeldMs, timingsMs, engine);
    }
}
