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
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.postgresql.PGConnection;
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
        prepare(c, t, carriers, lockTimeout);
        PGConnection pg = c.unwrap(PGConnection.class);
        int threshold = pg.getPrepareThreshold();
        // Each catalog read of the swap is parsed and planned once, in the warm-up, as a
        // server-side statement with a generic plan; under the lock it is only executed.
        pg.setPrepareThreshold(1);
        try {
            warmUp(c, t, carriers);
            return lockAndSwap(c, t, replayer, fingerprint, carriers, lockTimeout, lockAttempts);
        } finally {
            pg.setPrepareThreshold(threshold);
        }
    }

    private static Attempt lockAndSwap(Connection c, RepackTable t, Replayer replayer, String fingerprint,
                                       List<Carrier> carriers, Duration lockTimeout, int lockAttempts) throws SQLException {
        c.setAutoCommit(false);
        long start = System.nanoTime();
        long locked = 0;
        SwapTimings time = new SwapTimings();
        try (Statement st = c.createStatement()) {
            // Every definition read below is deparsed fully qualified, so it still means the same
            // objects after the move.
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            st.execute("SET LOCAL plan_cache_mode = force_generic_plan");
            ForeignKeyCarrier.Related related = ForeignKeyCarrier.related(c, t.ref());
            List<String> exclusive = others(c, t, related);
            Optional<PartitionSwap.Parent> parent = PartitionSwap.parentOf(c, t.ref().oid());
            boolean linked = !exclusive.isEmpty() || !related.referenced().isEmpty() || parent.isPresent();
            long budget = linked ? Math.min(lockTimeout.toMillis(), deadlockTimeoutMs(c) * 4 / 5) : lockTimeout.toMillis();
            AppLock.settings(st, budget);
            time.lap("before lock");
            // A partition: its partitioned table first, in the order queries lock them.
            st.execute("LOCK TABLE " + (parent.isPresent() ? parent.get().qualified() + ", " : "") + t.original()
                    + " IN ACCESS EXCLUSIVE MODE");
            locked = System.nanoTime();
            time.lap("lock wait");
            if (linked) {
                long left = Math.max(10, budget - (locked - start) / 1_000_000);
                st.execute("SET LOCAL lock_timeout = " + left);
                if (!exclusive.isEmpty()) {
                    st.execute("LOCK TABLE " + String.join(", ", exclusive) + " IN ACCESS EXCLUSIVE MODE");
                }
                if (!related.referenced().isEmpty()) {
                    st.execute("LOCK TABLE " + String.join(", ", related.referenced()) + " IN SHARE ROW EXCLUSIVE MODE");
                }
                // Later waits count against the same budget: the trial drop of the old table below
                // raises the referenced tables' lock to ACCESS EXCLUSIVE (its foreign keys' triggers
                // there), and waits for their readers while the table is held.
                st.execute("SET LOCAL lock_timeout = " + Math.max(10, budget - (System.nanoTime() - start) / 1_000_000));
                time.lap("linked locks");
            }
            long waitMs = (locked - start) / 1_000_000;
            LOG.info("{}: swap attempt {}: ACCESS EXCLUSIVE lock obtained after {} ms", t.display(), lockAttempts, waitMs);
            checkIdentity(c, t);
            time.lap("identity");
            long replayed = replayer.replayInTransaction(c, 0).logRows();
            time.lap("replay");
            if (!fingerprint.equals(TableShape.fingerprint(c, t.ref().oid()))) {
                throw RpclException.failed("The definition of " + t.display() + " (columns, indexes or constraints) changed"
                        + " while it was being repacked, so the copy no longer matches it; the repack was abandoned."
                        + " Run repack_tables again to repack it with its new definition.");
            }
            time.lap("fingerprint");
            run(st, CopyPhase.notValidChecks(c, t));
            time.lap("not valid checks");
            SwapTimings perCarrier = new SwapTimings();
            List<Carried> parts = new ArrayList<>();
            for (Carrier carrier : carriers) {
                parts.add(carrier.capture(c, t.ref()));
                perCarrier.lap(carrier.getClass().getSimpleName());
            }
            Carried carried = Carried.concat(parts);
            String owner = CopyPhase.ownerStatement(c, t);
            time.lap("capture");
            LOG.debug("{}: capture by carrier (ms): {}", t.display(), perCarrier.breakdown());
            // Everything carried over before the move, the move, and everything after it: one batch.
            List<String> swap = new ArrayList<>(carried.beforeMove());
            if (parent.isPresent()) {
                swap.add("ALTER TABLE " + parent.get().qualified() + " DETACH PARTITION " + t.original());
            }
            String parked = t.parkedName();
            swap.addAll(List.of(
                    "ALTER TABLE " + t.original() + " RENAME TO " + Sql.ident(parked),
                    "ALTER TABLE " + Sql.qualified(t.ref().schema(), parked) + " SET SCHEMA " + Sql.ident(HelperSchema.DROP_SCHEMA),
                    "ALTER TABLE " + t.copy() + " SET SCHEMA " + Sql.ident(t.ref().schema()),
                    "ALTER TABLE " + Sql.qualified(t.ref().schema(), t.ref().copyName()) + " RENAME TO " + Sql.ident(t.ref().name())));
            if (parent.isPresent()) {
                swap.add("ALTER TABLE " + parent.get().qualified() + " ATTACH PARTITION " + t.original() + " " + parent.get().bound());
                swap.add("ALTER TABLE " + t.original() + " DROP CONSTRAINT " + Sql.ident(PartitionSwap.BOUND_CHECK));
            }
            if (owner != null) {
                swap.add(owner);
            }
            swap.addAll(carried.afterMove());
            run(st, swap);
            time.lap("move");
            checkDroppable(st, t, parked);
            time.lap("drop check");
            RepackState.swapped(c, t, currentOid(c, t), lockAttempts, carried.afterCommit());
            time.lap("state");
            c.commit();
            time.lap("commit");
            long held = (System.nanoTime() - locked) / 1_000_000;
            LOG.info("{}: ACCESS EXCLUSIVE lock held {} ms ({} statements carried over): {}", t.display(), held,
                    carried.beforeMove().size() + carried.afterMove().size(), time.breakdown());
            // The old table's foreign keys now, in a moment's transaction of their own (see
            // dropParkedForeignKeys); the old table, the log and the functions by OldTableDrops.
            try {
                AppLock.settings(st, lockTimeout.toMillis());
                ChangeLog.dropParkedForeignKeys(st, t);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                LOG.warn("{}: the old table will be dropped when the table is finished: its foreign keys: {}", t.display(),
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
     * Gives the copy, before the lock is taken, what the carriers can set on it ahead (grants,
     * comments, options, statistics targets...), so that the swap has little left to do under
     * the lock. Best effort: whatever fails here (the replay holding the copy past lock_timeout,
     * say) is rolled back and left to the swap, which carries everything over anyway.
     */
    private static void prepare(Connection c, RepackTable t, List<Carrier> carriers, Duration lockTimeout) throws SQLException {
        long start = System.nanoTime();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            // Deparsed definitions are fully qualified; the same search_path as in the swap.
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
            List<String> statements = new ArrayList<>();
            for (Carrier carrier : carriers) {
                statements.addAll(carrier.prepare(c, t.ref()));
            }
            run(st, statements);
            c.commit();
            LOG.debug("{}: {} statement(s) applied to the copy ahead of the swap in {} ms", t.display(), statements.size(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (SQLException | RpclException e) {
            c.rollback();
            LOG.info("{}: preparing the copy ahead of the swap failed, the swap will do it under its lock: {}", t.display(),
                    e instanceof SQLException s ? Database.rootMessage(s) : e.getMessage());
        } finally {
            c.setAutoCommit(true);
        }
    }

    /**
     * Reads, without the lock, what the swap reads under it, and throws the answers away. A
     * session's first reading of a catalog loads its caches, which costs milliseconds per catalog
     * (a benchmark swap spent 21 of its 73 ms under the lock in its first look at pg_sequence);
     * read a second time, the same definitions take a fraction of that. Best effort: a failure
     * here is met again, and reported, under the lock.
     */
    private static void warmUp(Connection c, RepackTable t, List<Carrier> carriers) throws SQLException {
        long start = System.nanoTime();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            st.execute("SET LOCAL plan_cache_mode = force_generic_plan");
            currentOid(c, t);
            TableShape.fingerprint(c, t.ref().oid());
            CopyPhase.notValidChecks(c, t);
            for (Carrier carrier : carriers) {
                carrier.capture(c, t.ref());
            }
            CopyPhase.ownerStatement(c, t);
            LOG.debug("{}: the swap's catalog reads done once ahead of the lock in {} ms", t.display(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (SQLException | RpclException e) {
            LOG.debug("{}: reading the catalog ahead of the swap failed: {}", t.display(), e.getMessage());
        } finally {
            c.rollback();
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

    /**
     * Runs the statements as one batch: pgjdbc sends them in one round trip and the server runs
     * them in order, stopping at the first error, which is what one-by-one would do while the
     * lock is held for one round trip instead of one per statement.
     */
    static void run(Statement st, List<String> statements) throws SQLException {
        if (statements.isEmpty()) {
            return;
        }
        for (String sql : statements) {
            LOG.debug("swap: {}", sql);
            st.addBatch(sql);
        }
        try {
            st.executeBatch();
        } catch (BatchUpdateException e) {
            st.clearBatch();
            SQLException cause = e.getNextException() != null ? e.getNextException() : e;
            int failed = failedIndex(e.getUpdateCounts(), statements.size());
            String sql = failed < 0 ? "one of " + statements.size() + " statements" : statements.get(failed);
            // Keep the SQLSTATE (a lock timeout here is retried) and say which statement failed.
            throw new SQLException(Database.rootMessage(cause) + " (while running: " + sql + ")", cause.getSQLState(), e);
        }
    }

    /** The batch ran in order: the first entry not reported as done is the one that failed. */
    private static int failedIndex(int[] counts, int size) {
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == Statement.EXECUTE_FAILED) {
                return i;
            }
        }
        return counts.length < size ? counts.length : -1;
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
    /**
     * Proves, under the lock, that the old table can be dropped WITHOUT CASCADE: the DROP runs in
     * a savepoint that is rolled back, so no user object is ever dropped, and the swap is rolled
     * back naming the dependents when it fails. The real DROP comes right after the commit: the
     * unlinking of the old table's files then no longer counts against the exclusive lock.
     */
    private static void checkDroppable(Statement st, RepackTable t, String parked) throws SQLException {
        st.execute("SAVEPOINT rpcl_drop_check");
        try {
            st.execute("DROP TABLE " + Sql.qualified(HelperSchema.DROP_SCHEMA, parked));
            st.execute("ROLLBACK TO SAVEPOINT rpcl_drop_check");
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
