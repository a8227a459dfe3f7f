package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.db.ServerVersion;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the original's indexes on the filled copy, with the same names (legal, the copy lives in
 * sch_repnew), definitions, options and tablespaces; then the constraints that use them (PRIMARY
 * KEY / UNIQUE ... USING INDEX) and the exclusion constraints and keys WITHOUT OVERLAPS, which
 * are built by their constraint's own definition. The primary key first ('create
 * pkey'), then the rest ('create indices'), one after the other, each with the parallel workers
 * the server gives one CREATE INDEX (max_parallel_maintenance_workers, the DBA's budget of CPU
 * for maintenance).
 *
 * <p>One at a time because each build ends by writing its whole index to the WAL and syncing its
 * file, and every commit of the application waits for that WAL to be flushed before its own. Two
 * builds side by side (each with half the workers) finished together, and on this 2-core machine
 * the probe's worst transactions, all of them over 40 ms, ended within 0.1 s of that moment.
 * Measured side by side over four runs at 300 tps: the probe's worst 16-44 ms (median 22) one at
 * a time against 34-47 ms (median 41) two at a time, pg_repack's 26-55 ms (median 36); at full
 * speed 32 and 38 ms against 44 and 63; idle the same (34 against 35 ms, medians of 3), the idle
 * wall time 0.5 s longer (5.2 against 4.7 s), under load no longer.
 */
final class IndexPhase {
    /**
     * Every valid index of the original with the constraint it backs, if any; {@code rest} is
     * pg_get_indexdef after "... ON schema.table USING ", so the statement can name the copy.
     */
    private static final String INDEXES = """
            SELECT ic.relname, i.indisprimary, con.conname, con.contype, con.condeferrable, con.condeferred,
                   %s AS temporal,
                   pg_catalog.pg_get_constraintdef(con.oid) AS condef,
                   (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = ic.reltablespace) AS tablespace,
                   i.indisvalid,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
                   'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(ic.relname)
                     || ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' USING ' AS prefix,
                   CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END AS unique_kw,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_class x
                            WHERE x.relnamespace = 'sch_repnew'::regnamespace AND x.relname = ic.relname
                              AND x.oid NOT IN (SELECT indexrelid FROM pg_catalog.pg_index WHERE indrelid = ?)) AS name_taken
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                                     AND con.contype IN ('p', 'u', 'x')
             WHERE i.indrelid = ?
             ORDER BY i.indisprimary DESC, ic.relname
            """;

    /** 18's keys WITHOUT OVERLAPS: their index cannot be made by CREATE UNIQUE INDEX, only by the constraint. */
    private static final String TEMPORAL = "coalesce(con.conperiod, false)";

    /** One index (and its constraint) to build on the copy. */
    record IndexJob(String name, boolean primary, List<String> statements, String tablespace) {
    }

    private IndexPhase() {
    }

    static List<IndexJob> plan(Connection c, RepackTable t) throws SQLException {
        List<IndexJob> jobs = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(INDEXES.formatted(ServerVersion.atLeast(c, 18) ? TEMPORAL : "false"))) {
            ps.setLong(1, t.ref().oid());
            ps.setLong(2, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString("relname");
                    if (!rs.getBoolean("indisvalid")) {
                        // Checked before the copy too; here it is one built since, still in progress or failed.
                        throw RpclException.failed("Index " + name + " of " + t.display() + " became invalid during the repack"
                                + " (a CREATE INDEX CONCURRENTLY in progress or failed). Let it finish, or drop it or"
                                + " REINDEX INDEX CONCURRENTLY it, then repack again.");
                    }
                    if (rs.getBoolean("name_taken")) {
                        throw RpclException.failed("Cannot build index " + name + " for " + t.display()
                                + ": another table being repacked already has an index of that name in sch_repnew."
                                + " Repack the two tables in separate runs.");
                    }
                    List<String> statements = new ArrayList<>();
                    String contype = rs.getString("contype");
                    String constraint = rs.getString("conname");
                    if ("x".equals(contype) || rs.getBoolean("temporal")) {
                        statements.add("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(constraint) + " " + rs.getString("condef"));
                    } else {
                        String def = rs.getString("def");
                        String prefix = rs.getString("prefix");
                        if (!def.startsWith(prefix)) {
                            throw RpclException.failed("Cannot read the definition of index " + name + " of " + t.display()
                                    + " (unexpected form: " + def + "). Report this with the index definition.");
                        }
                        statements.add("CREATE " + rs.getString("unique_kw") + "INDEX " + Sql.ident(name) + " ON " + t.copy()
                                + " USING " + def.substring(prefix.length()));
                        if (contype != null) {
                            statements.add("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(constraint)
                                    + ("p".equals(contype) ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " + Sql.ident(name)
                                    + (rs.getBoolean("condeferrable") ? " DEFERRABLE" : "")
                                    + (rs.getBoolean("condeferred") ? " INITIALLY DEFERRED" : ""));
                        }
                    }
                    jobs.add(new IndexJob(name, rs.getBoolean("indisprimary"), statements, rs.getString("tablespace")));
                }
            }
        }
        return jobs;
    }

    /** Runs one job; the tablespace comes from default_tablespace. A stop cancels the build in flight. */
    static void build(Connection c, IndexJob job, StopGuard stop) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET default_tablespace = " + (job.tablespace() == null ? "''" : Sql.ident(job.tablespace())));
            try {
                stop.run(st, () -> {
                    for (String sql : job.statements()) {
                        st.execute(sql);
                    }
                    return null;
                });
            } finally {
                st.execute("RESET default_tablespace");
            }
        }
    }
}
