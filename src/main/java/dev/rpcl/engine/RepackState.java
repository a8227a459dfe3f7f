package dev.rpcl.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * sch_repcloud.t_table_repack: one row per table, keyed by schema and name, with repcloud's step
 * and status ('in progress', 'prepared', 'failed', 'complete'), so that a killed run can be
 * resumed or aborted and a DBA can see where each table is.
 */
final class RepackState {
    static final String IN_PROGRESS = "in progress";
    static final String PREPARED = "prepared";
    static final String FAILED = "failed";
    static final String COMPLETE = "complete";

    /**
     * A table's row as stored. {@code columns} and {@code storageOptions} (as sorted
     * {@code name=value}) are those the copy was made with; null when not recorded yet.
     */
    record Row(long oldOid, String schema, String name, List<String> keyColumns, Step step, String status,
               boolean readyForSwap, String fingerprint, List<String> afterCommit, CopyPhase.ColumnLists columns,
               List<String> storageOptions, String engine) {

        /** Whether REPACK (CONCURRENTLY) did this table's work: it leaves no object behind, whatever its status. */
        boolean byCoreRepack() {
            return TableResult.CORE_REPACK.equals(engine);
        }
    }

    private static final String START = """
            INSERT INTO sch_repcloud.t_table_repack AS r
                   (oid_old_table, v_schema_name, v_old_table_name, v_new_table_name, v_log_table_name, t_tab_pk,
                    en_repack_step, v_status, i_size_start)
            VALUES (?, ?, ?, ?, ?, ?, 'create table', 'in progress', ?)
            ON CONFLICT (v_schema_name, v_old_table_name) DO UPDATE
               SET oid_old_table = EXCLUDED.oid_old_table, oid_new_table = NULL,
                   v_new_table_name = EXCLUDED.v_new_table_name, v_log_table_name = EXCLUDED.v_log_table_name,
                   t_tab_pk = EXCLUDED.t_tab_pk, en_repack_step = 'create table', v_status = 'in progress',
                   t_message = NULL, b_ready_for_swap = false, i_size_start = EXCLUDED.i_size_start, i_size_end = NULL,
                   i_rows_copied = NULL, i_rows_replayed = 0, i_lock_attempts = 0, i_lock_held_ms = NULL,
                   j_timings = '{}', j_definition = NULL, ts_repack_start = now(), ts_repack_end = NULL
            """;

    private static final String FIND = """
            SELECT oid_old_table, v_schema_name, v_old_table_name, t_tab_pk, en_repack_step::text, v_status,
                   b_ready_for_swap, j_definition ->> 'fingerprint',
                   ARRAY(SELECT jsonb_array_elements_text(coalesce(j_definition -> 'after_commit', '[]'))),
                   j_definition ->> 'insert_list', j_definition ->> 'select_list',
                   CASE WHEN j_definition -> 'storage_options' IS NOT NULL THEN
                     ARRAY(SELECT key || '=' || value FROM jsonb_each_text(j_definition -> 'storage_options') ORDER BY key)
                   END,
                   j_definition ->> 'engine'
              FROM sch_repcloud.t_table_repack
            """;

    private RepackState() {
    }

    static void start(Connection c, RepackTable t, long sizeStart) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(START)) {
            ps.setLong(1, t.ref().oid());
            ps.setString(2, t.ref().schema());
            ps.setString(3, t.ref().name());
            ps.setString(4, t.ref().copyName());
            ps.setString(5, t.logName());
            ps.setArray(6, c.createArrayOf("text", t.keyColumns().toArray()));
            ps.setLong(7, sizeStart);
            ps.executeUpdate();
        }
    }

    static void step(Connection c, RepackTable t, Step step) throws SQLException {
        update(c, t, "en_repack_step = ?::sch_repcloud.ty_repack_step", step.dbValue());
    }

    static void status(Connection c, RepackTable t, String status, String message) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sch_repcloud.t_table_repack SET v_status = ?, t_message = ?,"
                + " b_ready_for_swap = (? = 'prepared'), ts_repack_end = CASE WHEN ? IN ('failed', 'complete') THEN now() END"
                + " WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            ps.setString(1, status);
            ps.setString(2, message);
            ps.setString(3, status);
            ps.setString(4, status);
            ps.setString(5, t.ref().schema());
            ps.setString(6, t.ref().name());
            ps.executeUpdate();
        }
    }

    /** The message status shows for a table in flight (why it waits), or null to clear it. */
    static void message(Connection c, RepackTable t, String message) throws SQLException {
        update(c, t, "t_message = ?", message);
    }

    static void fingerprint(Connection c, RepackTable t, String fingerprint) throws SQLException {
        update(c, t, "j_definition = coalesce(j_definition, '{}') || jsonb_build_object('fingerprint', ?::text)", fingerprint);
    }

    /** The storage options the copy was created with, for comparison when a later run resumes it. */
    static void storageOptions(Connection c, RepackTable t, Map<String, String> options) throws SQLException {
        List<String> pairs = new ArrayList<>();
        options.forEach((k, v) -> {
            pairs.add(k);
            pairs.add(v);
        });
        try (PreparedStatement ps = c.prepareStatement("UPDATE sch_repcloud.t_table_repack SET j_definition ="
                + " coalesce(j_definition, '{}') || jsonb_build_object('storage_options', jsonb_object(?::text[]))"
                + " WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            ps.setArray(1, c.createArrayOf("text", pairs.toArray()));
            ps.setString(2, t.ref().schema());
            ps.setString(3, t.ref().name());
            ps.executeUpdate();
        }
    }

    /** The column lists the copy is filled through: the replay must read through the same ones. */
    static void columns(Connection c, RepackTable t, CopyPhase.ColumnLists cols) throws SQLException {
        update(c, t, "j_definition = coalesce(j_definition, '{}') || jsonb_build_object('insert_list', ?::text,"
                + " 'select_list', ?::text)", cols.insert(), cols.select());
    }

    static void rowsCopied(Connection c, RepackTable t, long rows) throws SQLException {
        update(c, t, "i_rows_copied = ?", rows);
    }

    static void addReplayed(Connection c, RepackTable t, long rows) throws SQLException {
        update(c, t, "i_rows_replayed = i_rows_replayed + ?", rows);
    }

    static void timing(Connection c, RepackTable t, String phase, long millis) throws SQLException {
        update(c, t, "j_timings = j_timings || jsonb_build_object(?::text, ?::bigint)", phase, millis);
    }

    /** Inside the swap transaction: the swap is done, what remains runs after every table is swapped. */
    static void swapped(Connection c, RepackTable t, int lockAttempts, List<String> afterCommit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sch_repcloud.t_table_repack SET oid_new_table = pg_catalog.to_regclass(?)::oid,"
                + " en_repack_step = 'validate', v_status = 'in progress', i_lock_attempts = ?, b_ready_for_swap = false,"
                + " j_definition = coalesce(j_definition, '{}') || jsonb_build_object('after_commit', to_jsonb(?::text[]))"
                + " WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            ps.setString(1, t.original());
            ps.setInt(2, lockAttempts);
            ps.setArray(3, c.createArrayOf("text", afterCommit.toArray()));
            ps.setString(4, t.ref().schema());
            ps.setString(5, t.ref().name());
            ps.executeUpdate();
        }
    }

    /** Which engine works on the table: {@link TableResult#CORE_REPACK} for REPACK (CONCURRENTLY); no mark is rpcl's own. */
    static void engine(Connection c, RepackTable t, String engine) throws SQLException {
        update(c, t, "j_definition = coalesce(j_definition, '{}') || jsonb_build_object('engine', ?::text)", engine);
    }

    static void lockAttempts(Connection c, RepackTable t, int attempts) throws SQLException {
        update(c, t, "i_lock_attempts = ?", attempts);
    }

    static void lockHeld(Connection c, RepackTable t, long millis) throws SQLException {
        update(c, t, "i_lock_held_ms = ?", millis);
    }

    static void completed(Connection c, String schema, String name, long sizeEnd) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sch_repcloud.t_table_repack SET en_repack_step = 'complete',"
                + " v_status = 'complete', i_size_end = ?, ts_repack_end = now() WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            ps.setLong(1, sizeEnd);
            ps.setString(2, schema);
            ps.setString(3, name);
            ps.executeUpdate();
        }
    }

    static void delete(Connection c, String schema, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM sch_repcloud.t_table_repack WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    static Optional<Row> find(Connection c, String schema, String name) throws SQLException {
        List<Row> rows = query(c, FIND + " WHERE v_schema_name = ? AND v_old_table_name = ?", schema, name);
        return rows.stream().findFirst();
    }

    /** Every row whose status is one of {@code statuses}, oldest first. */
    static List<Row> withStatus(Connection c, String... statuses) throws SQLException {
        return query(c, FIND + " WHERE v_status = ANY (?) ORDER BY i_id_table", (Object) statuses);
    }

    private static List<Row> query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof String[] arr) {
                    ps.setArray(i + 1, c.createArrayOf("text", arr));
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            List<Row> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                            Arrays.asList((String[]) rs.getArray(4).getArray()), Step.of(rs.getString(5)), rs.getString(6),
                            rs.getBoolean(7), rs.getString(8), Arrays.asList((String[]) rs.getArray(9).getArray()),
                            rs.getString(10) == null || rs.getString(11) == null ? null
                                    : new CopyPhase.ColumnLists(rs.getString(10), rs.getString(11)),
                            rs.getArray(12) == null ? null : Arrays.asList((String[]) rs.getArray(12).getArray()),
                            rs.getString(13)));
                }
            }
            return out;
        }
    }

    private static void update(Connection c, RepackTable t, String set, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sch_repcloud.t_table_repack SET " + set
                + " WHERE v_schema_name = ? AND v_old_table_name = ?")) {
            int i = 1;
            for (Object v : values) {
                ps.setObject(i++, v);
            }
            ps.setString(i++, t.ref().schema());
            ps.setString(i, t.ref().name());
            ps.executeUpdate();
        }
    }
}
