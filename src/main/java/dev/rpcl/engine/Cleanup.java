package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.ViewCarrier;
import dev.rpcl.db.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The per-table advisory lock, and the removal of what an unfinished repack leaves behind. */
final class Cleanup {
    private static final Logger LOG = LoggerFactory.getLogger(Cleanup.class);

    /** The original by OID: its current name, in case it was renamed since the repack started. */
    private static final String BY_OID = """
            SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = ? AND n.nspname NOT IN ('sch_repnew', 'sch_repdrop')
            """;

    /**
     * The copy and the log exist, and the log names its key columns by position (k1, ...), as
     * this rpcl writes them: one left by an earlier rpcl, whose log used the key's own names, is
     * started over.
     */
    private static final String INTACT = """
            SELECT pg_catalog.to_regclass(?) IS NOT NULL
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                            WHERE attrelid = pg_catalog.to_regclass(?) AND attname = 'k1' AND NOT attisdropped)
            """;

    private Cleanup() {
    }

    /** Two rpcl processes never work on the same table: a session-level advisory lock on its OID. */
    static boolean tryLock(Connection lock, RepackTable t) throws SQLException {
        try (PreparedStatement ps = lock.prepareStatement("SELECT pg_catalog.pg_try_advisory_lock(?)")) {
            ps.setLong(1, t.advisoryKey());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Who holds the table's advisory lock (the key's high half is classid, its low half objid). */
    private static final String HOLDER = """
            SELECT a.pid, a.usename, a.application_name, a.client_addr::text AS client, a.state,
                   pg_catalog.to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
              FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 1
            """;

    /**
     * "another rpcl process is working on it", with the session that holds the lock, so that an
     * operator can tell a live run from a stray session (and end it with pg_terminate_backend).
     */
    static String heldElsewhere(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(HOLDER)) {
            ps.setLong(1, t.advisoryKey() >>> 32);
            ps.setLong(2, t.advisoryKey() & 0xFFFFFFFFL);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "another rpcl process is working on it";
                }
                return "another rpcl process is working on it (backend " + rs.getInt("pid") + " of role " + rs.getString("usename")
                        + ", " + rs.getString("application_name") + (rs.getString("client") == null ? "" : ", from " + rs.getString("client"))
                        + ", " + rs.getString("state") + ", connected since " + rs.getString("since") + ")";
            }
        }
    }

    static void unlock(Connection lock, RepackTable t) {
        try (PreparedStatement ps = lock.prepareStatement("SELECT pg_catalog.pg_advisory_unlock(?)")) {
            ps.setLong(1, t.advisoryKey());
            ps.execute();
        } catch (SQLException e) {
            // Closing the session releases it anyway; do not mask the table's own outcome.
            LOG.debug("{}: advisory unlock failed: {}", t.display(), e.getMessage());
        }
    }

    /** The copy, the log and all four triggers exist, so a prepared table can continue. */
    static boolean intact(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INTACT)) {
            ps.setString(1, t.copy());
            ps.setString(2, t.log());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return false;
                }
            }
        }
        String problem = ChangeLog.captureProblem(c, t);
        if (problem != null) {
            LOG.warn("{}: its prepared copy cannot be used: {}", t.display(), problem);
        }
        return problem == null;
    }

    /**
     * Drops the triggers on the original (found by OID), the trigger functions and the log in one
     * transaction, so the application never meets a trigger without its log, then the copy. DROP
     * TRIGGER locks the original ACCESS EXCLUSIVE: bounded by lock_timeout and retried. When a
     * session keeps the table locked throughout, the triggers are made inert instead (their
     * functions replaced by ones that do nothing, which needs no lock on the table), the log and
     * the copy are dropped, and the exception says to run abort_repack later.
     */
    static void drop(Connection c, RepackTable t, Duration lockTimeout, int attempts) throws SQLException {
        // DROP TRIGGER takes the table's ACCESS EXCLUSIVE lock: the application queues behind each
        // attempt, so the attempts are LockRetry's, short behind an idle holder.
        LockRetry retry = new LockRetry(lockTimeout, attempts);
        boolean dropped;
        try {
            dropped = retry.run(c, t.ref().oid(), () -> { }, st -> {
                RepackTable current = currentName(c, t);
                ChangeLog.drop(c, current == null ? t : current, current != null);
                DefaultPartitionGuard.dropAll(c, st, t);
            }, () -> LOG.info("{}: removing the triggers waits for a lock; attempt {} timed out, retrying", t.display(),
                    retry.attempts()));
        } catch (TableRepack.Stopped interrupted) {
            neutralise(c, t, lockTimeout);
            throw RpclException.failed("Interrupted while removing rpcl's triggers from " + t.display()
                    + "; they now do nothing. Run rpcl abort_repack to remove them");
        }
        if (!dropped) {
            neutralise(c, t, lockTimeout);
            throw RpclException.failed("rpcl's triggers are still on " + t.display() + " because another session kept"
                    + " it locked; they now do nothing. Run rpcl abort_repack when the table is idle to remove them");
        }
        // The copy apart: removing its files at commit takes a while for a big table, which must
        // not be while the original is locked for DROP TRIGGER.
        Transactions.run(c, st -> {
            st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
            dropCopy(c, st, t);
        });
    }

    /** Triggers that cannot be dropped now stop logging; then the log and copy go if they can. */
    private static void neutralise(Connection c, RepackTable t, Duration lockTimeout) throws SQLException {
        c.setAutoCommit(true);
        ChangeLog.makeInert(c, t);
        LOG.warn("{}: rpcl's triggers could not be dropped (the table stays locked by another session); they now do nothing",
                t.display());
        try {
            Transactions.run(c, st -> {
                st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
                st.execute("DROP TABLE IF EXISTS " + t.log());
                dropCopy(c, st, t);
            });
        } catch (SQLException e) {
            LOG.warn("{}: the change log and copy stay until abort_repack: {}", t.display(), e.getMessage());
        }
    }

    /** The copy, after the materialized views a swap attempt built on it (ViewCarrier.prepare). */
    private static void dropCopy(Connection c, Statement st, RepackTable t) throws SQLException {
        for (String matview : ViewCarrier.prebuiltOn(c, t.copy())) {
            st.execute("DROP MATERIALIZED VIEW IF EXISTS " + matview);
        }
        st.execute("DROP TABLE IF EXISTS " + t.copy());
        st.execute("DROP TABLE IF EXISTS " + t.ref().copyParentsQualified());
    }

    /** The table as it is named now (found by OID), or null when it is gone. */
    static RepackTable currentName(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(BY_OID)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? RepackTable.of(t.ref().oid(), rs.getString(1), rs.getString(2), t.keyColumns()) : null;
            }
        }
    }
}
