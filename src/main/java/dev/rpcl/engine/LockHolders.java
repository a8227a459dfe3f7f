package dev.rpcl.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The other sessions that hold (or wait for) a lock on a table now, described for a DBA: who
 * they are, what lock, since when their transaction is open, what they run. The plan shows them
 * as what would hold a repack up; a swap attempt that gave up names them as its blockers.
 */
final class LockHolders {

    private static final String HOLDERS = """
            SELECT l.pid, l.mode, l.granted, coalesce(a.usename::text, '') AS usename,
                   coalesce(a.application_name, '') AS application_name, coalesce(a.state, '') AS state,
                   coalesce(extract(epoch FROM now() - a.xact_start)::bigint, 0) AS xact_seconds,
                   coalesce(left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80), '') AS query
              FROM pg_catalog.pg_locks l
              LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.relation = ? AND l.pid <> pg_catalog.pg_backend_pid()
               AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
               AND (? OR l.granted AND now() - CASE WHEN a.state LIKE 'idle in transaction%' THEN a.state_change
                                                    WHEN a.state = 'active' THEN a.query_start END
                                       > ? * interval '1 millisecond')
             ORDER BY l.granted DESC, l.pid
            """;

    private LockHolders() {
    }

    /**
     * Whether waiting {@code longerWaitMs} for the table's lock could succeed where a shorter wait
     * did not: no session holding a lock on the table is stuck ({@link #stuck}).
     */
    static boolean worthWaitingLonger(Connection c, long tableOid, long longerWaitMs) throws SQLException {
        return stuck(c, tableOid, longerWaitMs).isEmpty();
    }

    /**
     * The sessions holding a lock on the table that a wait of {@code waitMs} would not outlast:
     * idle in their transaction for longer than that (they keep their locks until their client
     * acts, and a client that has not acted for so long may not act soon), or running a statement
     * that has run longer than that (as likely to run as long again). The application's short
     * statements, and the moments its clients take between the statements of a transaction,
     * end in milliseconds, and are not among them. As {@link #of}.
     */
    static List<String> stuck(Connection c, long tableOid, long waitMs) throws SQLException {
        return holders(c, tableOid, false, waitMs);
    }

    /** One line per session: "pid 4242 (user app, psql) holds AccessShareLock, idle in transaction, transaction open 31 s: SELECT ...". */
    static List<String> of(Connection c, long tableOid) throws SQLException {
        return holders(c, tableOid, true, 0);
    }

    private static List<String> holders(Connection c, long tableOid, boolean all, long stuckAfterMs) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(HOLDERS)) {
            ps.setLong(1, tableOid);
            ps.setBoolean(2, all);
            ps.setLong(3, stuckAfterMs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    StringBuilder who = new StringBuilder("pid ").append(rs.getInt("pid"));
                    List<String> tags = new ArrayList<>();
                    if (!rs.getString("usename").isEmpty()) {
                        tags.add("user " + rs.getString("usename"));
                    }
                    if (!rs.getString("application_name").isEmpty()) {
                        tags.add(rs.getString("application_name"));
                    }
                    if (!tags.isEmpty()) {
                        who.append(" (").append(String.join(", ", tags)).append(')');
                    }
                    who.append(rs.getBoolean("granted") ? " holds " : " waits for ").append(rs.getString("mode"));
                    if (!rs.getString("state").isEmpty()) {
                        who.append(", ").append(rs.getString("state"));
                    }
                    if (rs.getLong("xact_seconds") > 0) {
                        who.append(", transaction open ").append(rs.getLong("xact_seconds")).append(" s");
                    }
                    if (!rs.getString("query").isEmpty()) {
                        who.append(": ").append(rs.getString("query"));
                    }
                    out.add(who.toString());
                }
            }
        }
        return out;
    }
}
