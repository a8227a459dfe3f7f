package dev.rpcl.engine;

import java.util.List;

/**
 * What repack_tables would do on one connection now, table by table in the order it would take
 * them, and what it would cost; made by {@link RepackEngine#plan()}, which changes nothing.
 * {@code oidColumns} are columns of type regclass or oid in the database, whose values may name
 * a repacked table by the OID the swap retires.
 */
public record Plan(String connection, String database, String walLevel, List<Entry> tables, List<String> oidColumns) {

    public Plan {
        tables = List.copyOf(tables);
        oidColumns = List.copyOf(oidColumns);
    }

    /** What happens to a table. */
    public enum Action {
        /** Copied, replayed and swapped. */
        REPACK,
        /** Left prepared or part way by an earlier run: caught up and swapped, whatever its gain. */
        RESUME,
        /** Its estimated gain is under the thresholds. */
        HEALTHY,
        /** It cannot be repacked; the reason says why and what to do. */
        SKIP
    }

    /**
     * One table. {@code engine} ("rpcl", or {@link TableResult#CORE_REPACK} for REPACK (CONCURRENTLY)) and {@code engineReason}
     * say what would rewrite it and why, for the tables that would be rewritten, else null.
     * {@code gainBytes} is -1 without statistics to estimate it; {@code afterBytes}
     * and {@code peakExtraBytes} are estimates (the copy with its indexes and TOAST, plus the WAL
     * it writes unless wal_level is minimal; the change log comes on top, as the writes go).
     * {@code lockedBy} lists the sessions holding a lock on the table now, which would hold up
     * the triggers' creation and the swap.
     */
    public record Entry(String table, Action action, String reason, String engine, String engineReason, String key,
                        long sizeBytes, long gainBytes, long afterBytes, long peakExtraBytes, List<String> lockedBy) {
        public Entry {
            lockedBy = List.copyOf(lockedBy);
        }
    }
}
