package dev.rpcl.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What rpcl is doing in a database, or did: one entry per table of sch_repcloud.t_table_repack,
 * with, for a table in flight, the rpcl session working on it, the copy's size so far, the index
 * builds in progress, the change log's backlog with its incoming and replay rates, and the
 * sessions that hold the table; for a table REPACK (CONCURRENTLY) works on, its progress. Read from another process, by any role that may read
 * t_table_repack: everything else comes from the statistics views and the catalog.
 */
public final class RunStatus {

    /** A table's state; the in-flight fields are null or empty for a finished one. */
    public record Table(String table, String status, String step, String message, String started, long secondsSinceStart,
                        String ended, Long sizeBefore, Long sizeAfter, Long rowsCopied, long rowsReplayed, int lockAttempts,
                        Long lockHeldMs, Integer rpclPid, String rpclState, Long rpclBusySeconds, Long copyBytes,
                        List<String> indexBuilds, Long backlogRows, Double incomingPerSecond, Double replayedPerSecond,
                        List<String> heldBy, String engine, String repackProgress) {
        public Table {
            indexBuilds = List.copyOf(indexBuilds);
            heldBy = List.copyOf(heldBy);
        }

        public boolean inFlight() {
            return !"complete".equals(status) && !"failed".equals(status);
        }

        /** Seconds until the replay has caught up, at the rates measured; null when it does not gain. */
        public Long secondsToCatchUp() {
            if (backlogRows == null || incomingPerSecond == null || replayedPerSecond == null) {
                return null;
            }
            double gain = replayedPerSecond - incomingPerSecond;
            return backlogRows == 0 ? Long.valueOf(0) : gain <= 0 ? null : Long.valueOf(Math.round(backlogRows / gain));
        }
    }

    private static final String TABLES = """
            SELECT r.v_schema_name || '.' || r.v_old_table_name AS tbl, r.oid_old_table, r.v_status, r.en_repack_step::text AS step,
                   r.t_message, to_char(r.ts_repack_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS started,
                   extract(epoch FROM now() - r.ts_repack_start)::bigint AS since_start,
                   to_char(r.ts_repack_end AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS ended,
                   r.i_size_start, r.i_size_end, r.i_rows_copied, r.i_rows_replayed, r.i_lock_attempts, r.i_lock_held_ms,
                   copy.oid AS copy_oid, pg_catalog.pg_relation_size(copy.oid) AS copy_bytes, log.oid AS log_oid,
                   a.pid AS rpcl_pid, a.state AS rpcl_state,
                   extract(epoch FROM now() - coalesce(a.query_start, a.backend_start))::bigint AS rpcl_busy,
                   coalesce(r.j_definition ->> 'engine', 'rpcl') AS engine
              FROM sch_repcloud.t_table_repack r
              LEFT JOIN pg_catalog.pg_class copy
                ON copy.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'sch_repnew')
               AND copy.relname = r.v_new_table_name
              LEFT JOIN pg_catalog.pg_class log
                ON log.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'sch_repnew')
               AND log.relname = r.v_log_table_name
              LEFT JOIN LATERAL (SELECT s.pid, s.state, s.query_start, s.backend_start FROM pg_catalog.pg_stat_activity s
                                  WHERE s.application_name LIKE 'repcloud - Table: ' || r.v_schema_name || '.' || r.v_old_table_name || ' [%'
                                    AND s.datname = current_database()
                                  ORDER BY s.query_start DESC NULLS LAST LIMIT 1) a ON true
             ORDER BY r.ts_repack_start, r.i_id_table
            """;

    private static final String LOG_COUNTERS = """
            SELECT relid, n_live_tup, n_tup_ins, n_tup_del FROM pg_catalog.pg_stat_all_tables WHERE relid = ANY (?::oid[])
            """;

    private static final String INDEX_BUILDS = """
            SELECT coalesce(nullif(p.index_relid, 0)::regclass::text,
                            -- a plain CREATE INDEX reports its index only once built: its statement names it
                            substring(a.query FROM '(?i)INDEX\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?("[^"]+"|[^\\s(]+)\\s+ON'),
                            'an index') || ': ' || p.phase
                   || CASE WHEN p.blocks_total > 0 THEN ', ' || round(100.0 * p.blocks_done / p.blocks_total) || '% of blocks'
                           WHEN p.tuples_total > 0 THEN ', ' || round(100.0 * p.tuples_done / p.tuples_total) || '% of tuples'
                           ELSE '' END
              FROM pg_catalog.pg_stat_progress_create_index p
              LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
             WHERE p.relid = ?
             ORDER BY p.pid
            """;

    /** The progress of REPACK (CONCURRENTLY) on a table (PostgreSQL 19 and later). */
    private static final String REPACK_PROGRESS = """
            SELECT p.phase
                   || CASE WHEN p.heap_blks_total > 0 THEN ', ' || p.heap_blks_scanned || ' of ' || p.heap_blks_total
                           || ' heap blocks scanned (' || round(100.0 * p.heap_blks_scanned / p.heap_blks_total) || '%)' ELSE '' END
                   || ', ' || p.heap_tuples_scanned || ' rows copied, '
                   || (p.heap_tuples_inserted + p.heap_tuples_updated + p.heap_tuples_deleted) || ' concurrent changes applied'
                   || CASE WHEN p.index_rebuild_count > 0 THEN ', ' || p.index_rebuild_count || ' index(es) rebuilt' ELSE '' END
              FROM pg_catalog.pg_stat_progress_repack p
             WHERE p.relid = ? AND p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """;

    private RunStatus() {
    }

    private record Counters(long live, long inserted, long deleted) {
    }

    /**
     * Every table rpcl has a row for. Rates of the change log come from two readings of its
     * statistics {@code sampleMs} apart (0: no rates).
     */
    public static List<Table> read(Connection c, long sampleMs) throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        List<Long> logs = new ArrayList<>();
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(TABLES)) {
            while (rs.next()) {
                Object[] row = new Object[rs.getMetaData().getColumnCount()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = rs.getObject(i + 1);
                }
                rows.add(row);
                if (rs.getObject("log_oid") != null) {
                    logs.add(rs.getLong("log_oid"));
                }
            }
        }
        java.util.Map<Long, Counters> first = counters(c, logs);
        java.util.Map<Long, Counters> second = first;
        if (sampleMs > 0 && !logs.isEmpty()) {
            TableRepack.sleep(sampleMs);
            second = counters(c, logs);
        }
        List<Table> out = new ArrayList<>();
        for (Object[] r : rows) {
            String status = (String) r[2];
            boolean inFlight = !"complete".equals(status) && !"failed".equals(status);
            Long copyOid = r[14] == null ? null : ((Number) r[14]).longValue();
            Long logOid = r[16] == null ? null : ((Number) r[16]).longValue();
            Counters a = logOid == null ? null : first.get(logOid);
            Counters b = logOid == null ? null : second.get(logOid);
            boolean rates = a != null && b != null && sampleMs > 0;
            out.add(new Table((String) r[0], status, (String) r[3], (String) r[4], (String) r[5], num(r[6]), (String) r[7],
                    numOrNull(r[8]), numOrNull(r[9]), numOrNull(r[10]), num(r[11]), (int) num(r[12]), numOrNull(r[13]),
                    r[17] == null ? null : ((Number) r[17]).intValue(), (String) r[18], numOrNull(r[19]),
                    inFlight && copyOid != null ? numOrNull(r[15]) : null,
                    inFlight && copyOid != null ? indexBuilds(c, copyOid) : List.of(),
                    b == null ? null : b.live(),
                    rates ? (b.inserted() - a.inserted()) * 1000.0 / sampleMs : null,
                    rates ? (b.deleted() - a.deleted()) * 1000.0 / sampleMs : null,
                    inFlight ? withoutRpcl(LockHolders.of(c, num(r[1])), r[17]) : List.of(),
                    (String) r[20], inFlight && TableResult.CORE_REPACK.equals(r[20]) ? repackProgress(c, num(r[1])) : null));
        }
        return out;
    }

    private static List<String> withoutRpcl(List<String> holders, Object rpclPid) {
        return rpclPid == null ? holders : holders.stream().filter(h -> !h.startsWith("pid " + rpclPid + " ")).toList();
    }

    private static java.util.Map<Long, Counters> counters(Connection c, List<Long> logs) throws SQLException {
        java.util.Map<Long, Counters> out = new java.util.HashMap<>();
        if (logs.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement(LOG_COUNTERS)) {
            ps.setArray(1, c.createArrayOf("bigint", logs.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), new Counters(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
                }
            }
        }
        return out;
    }

    private static String repackProgress(Connection c, long tableOid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(REPACK_PROGRESS)) {
            ps.setLong(1, tableOid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The index builds in progress on a table: "index: phase, N% of blocks" each. */
    static List<String> indexBuilds(Connection c, long copyOid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(INDEX_BUILDS)) {
            ps.setLong(1, copyOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static long num(Object o) {
        return o == null ? 0 : ((Number) o).longValue();
    }

    private static Long numOrNull(Object o) {
        return o == null ? null : ((Number) o).longValue();
    }
}
