package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.Carried;
import dev.rpcl.catalog.Carrier;
import dev.rpcl.catalog.ForeignKeyCarrier;
import dev.rpcl.catalog.PartitionSwap;
import dev.rpcl.catalog.ViewCarrier;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import dev.rpcl.db.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at the swap, in one transaction: lock the original ACCESS EXCLUSIVE with
 * lock_timeout; replay what is left; check the table was not altered since the copy; carry over
 * what points at the old table; move the old table to sch_repdrop and the copy into its place;
 * drop the old table WITHOUT CASCADE; commit. Any failure rolls everything back: the original is
 * untouched and the application never sees a half-done swap.
 */
final class SwapPhase {
    private static final Logger LOG = LoggerFactory.getLogger(SwapPhase.class);

    /** How an attempt ended when it did not throw: swapped, or the lock was not obtained. */
    record Attempt(boolean swapped, long waitMs, long heldMs, long replayedRows, String lockProblem) {
    }

    private static final String CURRENT_OID = """
            SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ? AND c.relname = ?
            """;

    private SwapPhase() {
    }

    static Attempt attempt(Connection c, RepackTable t, Replayer replayer, String fingerprint, List<Carrier> carriers,
                           Duration lockTimeout, int lockAttempts) throws SQLException {
        c.setAutoCommit(false);
        long start = System.nanoTime();
        long locked = 0;
        try (Statement st = c.createStatement()) {
            // Every definition read below is deparsed fully qualified, so it still means the same
            // objects after the move.
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            ForeignKeyCarrier.Related related = ForeignKeyCarrier.related(c, t.ref());
            List<String> exclusive = others(c, t, related);
            Optional<PartitionSwap.Parent> parent = PartitionSwap.parentOf(c, t.ref().oid());
            boolean linked = !exclusive.isEmpty() || !related.referenced().isEmpty() || parent.isPresent();
            long budget = linked ? Math.min(lockTimeout.toMillis(), deadlockTimeoutMs(c) * 4 / 5) : lockTimeout.toMillis();
            st.execute("SET LOCAL lock_timeout = " + Math.max(1, budget));
            // A partition: its partitioned table first, in the order queries lock them.
            st.execute("LOCK TABLE " + (parent.isPresent() ? parent.get().qualified() + ", " : "") + t.original()
                    + " IN ACCESS EXCLUSIVE MODE");
            locked = System.nanoTime();
            if (linked) {
                long left = Math.max(10, budget - (locked - start) / 1_000_000);
                st.execute("SET LOCAL lock_timeout = " + left);
                if (!exclusive.isEmpty()) {
                    st.execute("LOCK TABLE " + String.join(", ", exclusive) + " IN ACCESS EXCLUSIVE MODE");
                }
                if (!related.referenced().isEmpty()) {
                    st.execute("LOCK TABLE " + String.join(", ", related.referenced()) + " IN SHARE ROW EXCLUSIVE MODE");
                }
                st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
            }
            long waitMs = (locked - start) / 1_000_000;
            LOG.info("{}: swap attempt {}: ACCESS EXCLUSIVE lock obtained after {} ms", t.display(), lockAttempts, waitMs);
            checkIdentity(c, t);
            long replayed = replayer.replayInTransaction(c, 0).logRows();
            if (!fingerprint.equals(TableShape.fingerprint(c, t.ref().oid()))) {
                throw RpclException.failed("The definition of " + t.display() + " (columns, indexes or constraints) changed"
                        + " while it was being repacked, so the copy no longer matches it; the repack was abandoned."
                        + " Run repack_tables again to repack it with its new definition.");
            }
            for (String check : CopyPhase.notValidChecks(c, t)) {
                st.execute(check);
            }
            List<Carried> parts = new ArrayList<>();
            for (Carrier carrier : carriers) {
                parts.add(carrier.capture(c, t.ref()));
            }
            Carried carried = Carried.concat(parts);
            String owner = CopyPhase.ownerStatement(c, t);
            run(st, carried.beforeMove());
            if (parent.isPresent()) {
                st.execute("ALTER TABLE " + parent.get().qualified() + " DETACH PARTITION " + t.original());
            }
            String parked = "old_" + t.ref().oid();
            st.execute("ALTER TABLE " + t.original() + " RENAME TO " + Sql.ident(parked));
            st.execute("ALTER TABLE " + Sql.qualified(t.ref().schema(), parked) + " SET SCHEMA " + Sql.ident(HelperSchema.DROP_SCHEMA));
            st.execute("ALTER TABLE " + t.copy() + " SET SCHEMA " + Sql.ident(t.ref().schema()));
            st.execute("ALTER TABLE " + Sql.qualified(t.ref().schema(), t.ref().copyName()) + " RENAME TO " + Sql.ident(t.ref().name()));
            if (parent.isPresent()) {
                st.execute("ALTER TABLE " + parent.get().qualified() + " ATTACH PARTITION " + t.original() + " "
                        + parent.get().bound());
                st.execute("ALTER TABLE " + t.original() + " DROP CONSTRAINT " + Sql.ident(PartitionSwap.BOUND_CHECK));
            }
            if (owner != null) {
                st.execute(owner);
            }
            run(st, carried.afterMove());
            dropOld(st, t, parked);
            RepackState.swapped(c, t, currentOid(c, t), lockAttempts, carried.afterCommit());
            c.commit();
            long held = (System.nanoTime() - locked) / 1_000_000;
            // The triggers went with the old table; their functions and the log are rpcl's own and
            // need not hold up the application. If this fails, finishing the table drops them.
            try {
                ChangeLog.dropLogAndFunctions(st, t);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                LOG.warn("{}: the change log and its functions will be dropped when the table is finished: {}", t.display(),
                        Database.rootMessage(e));
            }
            return new Attempt(true, waitMs, held, replayed, null);
        } catch (SQLException e) {
            c.rollback();
            String state = SqlStates.of(e);
            if (SqlStates.LOCK_NOT_AVAILABLE.equals(state) || SqlStates.DEADLOCK_DETECTED.equals(state)) {
                long waitMs = ((locked == 0 ? System.nanoTime() : locked) - start) / 1_000_000;
                return new Attempt(false, waitMs, 0, 0, locked == 0
                        ? "lock on " + t.display() + " not obtained within lock_timeout"
                        : "a table or view linked to it stayed locked (" + Database.rootMessage(e) + ")");
            }
            throw e;
        } catch (RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * The other relations the swap alters: dependent views and tables linked by foreign keys,
     * locked after the table. Waiting for them while holding the table can form a cycle with an
     * application transaction that holds one of them and waits for the table; PostgreSQL's
     * deadlock detector then kills whichever has waited deadlock_timeout, possibly the
     * application's. So the attempt's waits together stay under deadlock_timeout: the swap gives
     * up first, rolls back and retries, and the application never pays for it.
     */
    private static List<String> others(Connection c, RepackTable t, ForeignKeyCarrier.Related related) throws SQLException {
        List<String> exclusive = new ArrayList<>(related.referencing());
        exclusive.addAll(ViewCarrier.dependentViews(c, t.ref()));
        exclusive.removeAll(related.referenced());
        return exclusive;
    }

    private static long deadlockTimeoutMs(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'deadlock_timeout'")) {
            return rs.next() ? rs.getLong(1) : 1000;
        }
    }

    private static void run(Statement st, List<String> statements) throws SQLException {
        for (String sql : statements) {
            LOG.debug("swap: {}", sql);
            try {
                st.execute(sql);
            } catch (SQLException e) {
                // Keep the SQLSTATE (a lock timeout here is retried) and say which statement failed.
                throw new SQLException(Database.rootMessage(e) + " (while running: " + sql + ")", e.getSQLState(), e);
            }
        }
    }

    /** The name must still be the table the repack started on: renamed or replaced tables are not swapped. */
    private static void checkIdentity(Connection c, RepackTable t) throws SQLException {
        if (currentOid(c, t) != t.ref().oid()) {
            throw RpclException.failed("Table " + t.display() + " was renamed or replaced while it was being repacked;"
                    + " the repack was abandoned. Run abort_repack, then repack_tables again.");
        }
    }

    private static long currentOid(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CURRENT_OID)) {
            ps.setString(1, t.ref().schema());
            ps.setString(2, t.ref().name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Never CASCADE: an object that still depends on the old table fails the swap and is named. */
    private static void dropOld(Statement st, RepackTable t, String parked) throws SQLException {
        try {
            st.execute("DROP TABLE " + Sql.qualified(HelperSchema.DROP_SCHEMA, parked));
        } catch (SQLException e) {
            if (!SqlStates.is(e, SqlStates.DEPENDENT_OBJECTS_STILL_EXIST)) {
                throw e;
            }
            String detail = e instanceof PSQLException p && p.getServerErrorMessage() != null
                    && p.getServerErrorMessage().getDetail() != null
                    ? p.getServerErrorMessage().getDetail().replace('\n', ';').replace("sch_repdrop." + parked, t.display())
                    : Database.rootMessage(e);
            throw RpclException.failed("Cannot swap " + t.display() + ": objects that rpcl cannot recreate depend on it ("
                    + detail + "). Nothing was changed; drop or alter those objects, or leave the table out of the configuration.", e);
        }
    }
}
