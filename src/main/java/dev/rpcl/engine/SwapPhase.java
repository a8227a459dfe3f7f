package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.Carried;
import dev.rpcl.catalog.Carrier;
import dev.rpcl.catalog.ForeignKeyCarrier;
import dev.rpcl.catalog.Inheritance;
import dev.rpcl.catalog.PartitionSwap;
import dev.rpcl.catalog.RowSecurity;
import dev.rpcl.catalog.Rules;
import dev.rpcl.catalog.ViewCarrier;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import dev.rpcl.db.SqlStates;
import dev.rpcl.db.Transactions;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    record Attempt(boolean swapped, long waitMs, long heldMs, long replayedRows, long replayedAhead, String lockProblem) {
        Attempt withReplayedAhead(long rows) {
            return new Attempt(swapped, waitMs, heldMs, replayedRows, rows, lockProblem);
        }
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
            CatalogReads.Recorded<Reading> ahead = readAhead(c, t, carriers);
            // What arrived while the copy was prepared and the catalog read (a quarter of a second
            // under load, hundreds of rows at full speed) is replayed now, so that the replay under
            // the lock has only the changes of the last moments.
            long replayStart = System.nanoTime();
            long replayedAhead = replayer.replayBatch(c, Readiness.MAX_ROWS_UNDER_LOCK).logRows();
            LOG.debug("{}: replayed {} log rows ahead of the lock in {} ms", t.display(), replayedAhead,
                    Elapsed.msSince(replayStart));
            return lockAndSwap(c, t, replayer, fingerprint, carriers, ahead, lockTimeout, lockAttempts).withReplayedAhead(replayedAhead);
        } finally {
            pg.setPrepareThreshold(threshold);
        }
    }

    private static Attempt lockAndSwap(Connection c, RepackTable t, Replayer replayer, String fingerprint, List<Carrier> carriers,
                                       CatalogReads.Recorded<Reading> ahead, Duration lockTimeout, int lockAttempts)
            throws SQLException {
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
            List<String> exclusive = new ArrayList<>(others(c, t, related));
            // ATTACH locks the default partition too (its constraint changes): with the others, within the budget.
            Optional<String> defaultPartition = DefaultPartitionGuard.defaultPartition(c, t);
            defaultPartition.ifPresent(exclusive::add);
            List<String> shared = new ArrayList<>(related.referenced());
            shared.removeAll(exclusive);
            Optional<PartitionSwap.Parent> parent = PartitionSwap.parentOf(c, t.ref().oid());
            // A partition's partitioned table, an inheritance child's parents: locked first, as
            // queries lock them. A statement on a parent reads its list of children once it holds
            // the parent's lock, then waits for each child: were the parent not held, a statement
            // that listed the old table would write it once the swap released it, and be lost.
            List<String> parents = new ArrayList<>(Inheritance.parents(c, t.ref().oid()));
            parent.ifPresent(p -> parents.add(p.qualified()));
            boolean linked = !exclusive.isEmpty() || !shared.isEmpty() || !parents.isEmpty();
            long budget = linked ? Math.min(lockTimeout.toMillis(), deadlockTimeoutMs(c) * 4 / 5) : lockTimeout.toMillis();
            AppLock.settings(st, budget);
            time.lap("before lock");
            // The parents first, in the order queries lock them. ONLY: LOCK TABLE would also lock
            // every table below each name, a child's other children and its other parents' ones
            // among them, out of the order the application takes them in (a statement on one parent
            // holding it would wait for a sibling rpcl took through another: a deadlock). The name
            // must still be the table the repack started on, asked in the same round trip.
            long oidNow = lockAndIdentify(c, "LOCK TABLE " + parents.stream().map(p -> "ONLY " + p + ", ")
                    .collect(java.util.stream.Collectors.joining()) + "ONLY " + t.original() + " IN ACCESS EXCLUSIVE MODE", t);
            locked = System.nanoTime();
            time.lap("lock wait");
            if (linked) {
                List<String> locks = new ArrayList<>();
                locks.add("SET LOCAL lock_timeout = " + Math.max(10, budget - (locked - start) / 1_000_000));
                if (!exclusive.isEmpty()) {
                    locks.add("LOCK TABLE " + String.join(", ", exclusive) + " IN ACCESS EXCLUSIVE MODE");
                }
                if (!shared.isEmpty()) {
                    locks.add("LOCK TABLE " + String.join(", ", shared) + " IN SHARE ROW EXCLUSIVE MODE");
                }
                run(st, locks);
                time.lap("linked locks");
            }
            long waitMs = (locked - start) / 1_000_000;
            LOG.info("{}: swap attempt {}: ACCESS EXCLUSIVE lock obtained after {} ms", t.display(), lockAttempts, waitMs);
            if (oidNow != t.ref().oid()) {
                throw RpclException.failed("Table " + t.display() + " was renamed or replaced while it was being repacked;"
                        + " the repack was abandoned. Run abort_repack, then repack_tables again.");
            }
            long replayed = replayer.replayInTransaction(c, 0).logRows();
            time.lap("replay");
            // After the replay: the copy's NOT VALID checks, applied while reading, must not meet replayed rows.
            Reading reading;
            boolean held = ahead != null && ahead.stillHolds(c);
            if (held) {
                reading = ahead.value();
                time.lap("catalog check");
            } else {
                if (ahead != null) {
                    LOG.info("{}: the catalog changed since it was read ahead of the lock; reading it again under the lock",
                            t.display());
                }
                reading = read(c, t, carriers);
                time.lap("capture");
            }
            if (!fingerprint.equals(reading.fingerprint())) {
                throw RpclException.failed("The definition of " + t.display() + " (columns, indexes or constraints) changed"
                        + " while it was being repacked, so the copy no longer matches it; the repack was abandoned."
                        + " Run repack_tables again to repack it with its new definition.");
            }
            if (reading.captureProblem() != null) {
                throw RpclException.failed(startOver(t, reading.captureProblem()));
            }
            Carried carried = reading.carried();
            String owner = reading.owner();
            // Everything carried over before the move, the move, everything after it, and the trial
            // drop of the old table: one batch, one round trip.
            List<String> swap = new ArrayList<>();
            if (linked) {
                // Later waits count against the same budget: the trial drop of the old table below
                // raises the referenced tables' lock to ACCESS EXCLUSIVE (its foreign keys' triggers
                // there), and waits for their readers while the table is held.
                swap.add("SET LOCAL lock_timeout = " + Math.max(10, budget - Elapsed.msSince(start)));
            }
            swap.addAll(carried.beforeMove());
            if (parent.isPresent()) {
                swap.add("ALTER TABLE " + parent.get().qualified() + " DETACH PARTITION " + t.original());
            }
            String parked = t.parkedName();
            swap.addAll(reading.parkIndexes());
            swap.addAll(List.of(
                    "ALTER TABLE " + t.original() + " RENAME TO " + Sql.ident(parked),
                    "ALTER TABLE " + Sql.qualified(t.ref().schema(), parked) + " SET SCHEMA " + Sql.ident(HelperSchema.DROP_SCHEMA),
                    "ALTER TABLE " + t.copy() + " SET SCHEMA " + Sql.ident(t.ref().schema()),
                    "ALTER TABLE " + Sql.qualified(t.ref().schema(), t.ref().copyName()) + " RENAME TO " + Sql.ident(t.ref().name())));
            if (parent.isPresent()) {
                swap.add("ALTER TABLE " + parent.get().qualified() + " ATTACH PARTITION " + t.original() + " " + parent.get().bound());
                swap.add("ALTER TABLE " + t.original() + " DROP CONSTRAINT " + Sql.ident(PartitionSwap.BOUND_CHECK));
                defaultPartition.ifPresent(d -> swap.add(DefaultPartitionGuard.dropStatement(d, t)));
            }
            if (owner != null) {
                swap.add(owner);
            }
            swap.addAll(carried.afterMove());
            // Never CASCADE: the DROP runs in a savepoint that is rolled back, so no user object is
            // ever dropped; the real DROP comes after the commit, so that removing the old files
            // does not count against the lock.
            String drop = "DROP TABLE " + Sql.qualified(HelperSchema.DROP_SCHEMA, parked);
            swap.addAll(List.of("SAVEPOINT rpcl_drop_check", drop, "ROLLBACK TO SAVEPOINT rpcl_drop_check"));
            try {
                run(st, swap);
            } catch (StatementFailed e) {
                if (e.statement().equals(drop) && SqlStates.is(e, SqlStates.DEPENDENT_OBJECTS_STILL_EXIST)) {
                    throw dependents(t, parked, e);
                }
                throw e;
            }
            time.lap("move");
            RepackState.swapped(c, t, lockAttempts, carried.afterCommit());
            time.lap("state");
            c.commit();
            time.lap("commit");
            long heldMs = Elapsed.msSince(locked);
            LOG.info("{}: ACCESS EXCLUSIVE lock held {} ms ({} statements carried over, catalog {}): {}", t.display(), heldMs,
                    carried.beforeMove().size() + carried.afterMove().size(),
                    held ? "read ahead and checked under the lock" : "read under the lock", time.breakdown());
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
            return new Attempt(true, waitMs, heldMs, replayed, 0, null);
        } catch (SQLException e) {
            c.rollback();
            if (LockRetry.isLockFailure(e)) {
                long waitMs = ((locked == 0 ? System.nanoTime() : locked) - start) / 1_000_000;
                return new Attempt(false, waitMs, 0, 0, 0, locked == 0
                        ? "lock on " + t.display() + " not obtained in time"
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
        try {
            int applied = Transactions.call(c, () -> {
                try (Statement st = c.createStatement()) {
                    // Deparsed definitions are fully qualified; the same search_path as in the swap.
                    st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
                    st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
                    List<String> statements = new ArrayList<>();
                    for (Carrier carrier : carriers) {
                        statements.addAll(carrier.prepare(c, t.ref()));
                    }
                    run(st, statements);
                    return statements.size();
                }
            });
            LOG.debug("{}: {} statement(s) applied to the copy ahead of the swap in {} ms", t.display(), applied,
                    Elapsed.msSince(start));
        } catch (SQLException | RpclException e) {
            LOG.info("{}: preparing the copy ahead of the swap failed, the swap will do it under its lock: {}", t.display(),
                    e instanceof SQLException s ? Database.rootMessage(s) : e.getMessage());
        }
    }

    /**
     * What the swap needs to know under the lock: the table's fingerprint, and the statements that
     * carry over what points at it. Applies the copy's NOT VALID checks on the way, since what the
     * carriers read of the copy includes them. Must be a function of what it reads through
     * {@code c} (see {@link CatalogReads}).
     */
    record Reading(String fingerprint, String captureProblem, Carried carried, String owner, List<String> parkIndexes) {
    }

    /** Why a table whose copy may lack changes is not swapped, and what happens next. */
    static String startOver(RepackTable t, String problem) {
        return problem + ". Its copy may lack those changes, so it is not swapped in: the repack was abandoned and"
                + " cleaned up, and the next repack_tables or prepare_repack starts it over.";
    }

    /** The original's indexes, whose names must not meet those of another old table in sch_repdrop. */
    private static final String INDEXES = """
            SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ic.relname), ic.oid
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
             WHERE i.indrelid = ?
             ORDER BY ic.oid
            """;

    private static Reading read(Connection c, RepackTable t, List<Carrier> carriers) throws SQLException {
        String fingerprint = TableShape.fingerprint(c, t.ref().oid());
        String captureProblem = ChangeLog.captureProblem(c, t);
        try (Statement st = c.createStatement()) {
            for (String check : CopyPhase.notValidChecks(c, t)) {
                LOG.debug("swap: {}", check);
                st.execute(check);
            }
        }
        SwapTimings perCarrier = new SwapTimings();
        List<Carried> parts = new ArrayList<>();
        for (Carrier carrier : carriers) {
            parts.add(carrier.capture(c, t.ref()));
            perCarrier.lap(carrier.getClass().getSimpleName());
        }
        LOG.debug("{}: capture by carrier (ms): {}", t.display(), perCarrier.breakdown());
        // The old table's indexes keep their names when it moves to sch_repdrop, where another old
        // table of the same name in another schema may still be (its drop is in flight, or
        // failed): named after their OIDs, they cannot collide.
        List<String> parkIndexes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(INDEXES)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    parkIndexes.add("ALTER INDEX " + rs.getString(1) + " RENAME TO " + Sql.ident("old_idx_" + rs.getLong(2)));
                }
            }
        }
        return new Reading(fingerprint, captureProblem, Carried.concat(parts), CopyPhase.ownerStatement(c, t), parkIndexes);
    }

    /**
     * Reads, without the lock, what the swap reads under it, recording every statement and row
     * read, so that under the lock one round trip checks it all still holds instead of some
     * forty (a round trip costs 0.3-1 ms on a busy 2-core machine, most of the lock's time). The
     * reading is rolled back, then checked once here: this also has PostgreSQL parse and plan
     * each statement before the lock. Best effort: null when anything fails or the check does not
     * hold even now, and the swap reads under the lock as before.
     */
    private static CatalogReads.Recorded<Reading> readAhead(Connection c, RepackTable t, List<Carrier> carriers) throws SQLException {
        long start = System.nanoTime();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            st.execute("SET LOCAL plan_cache_mode = force_generic_plan");
            Savepoint before = c.setSavepoint();
            CatalogReads.Recorded<Reading> recorded = CatalogReads.record(c, rc -> read(rc, t, carriers));
            c.rollback(before);
            boolean holds = recorded.stillHolds(c);
            LOG.debug("{}: the swap's catalog reads done ahead of the lock in {} ms ({} statements, {})", t.display(),
                    Elapsed.msSince(start), recorded.statements(), holds ? "checked" : "cannot be checked");
            return holds ? recorded : null;
        } catch (SQLException | RpclException e) {
            LOG.debug("{}: reading the catalog ahead of the swap failed: {}", t.display(), e.getMessage());
            return null;
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
        // Replacing a rule or altering a policy of another table locks it ACCESS EXCLUSIVE too.
        exclusive.addAll(Rules.otherRelations(c, t.ref()));
        exclusive.addAll(RowSecurity.otherRelations(c, t.ref()));
        // Moved under the new table (ALTER TABLE INHERIT locks them ACCESS EXCLUSIVE).
        exclusive.addAll(Inheritance.children(c, t.ref()));
        return exclusive.stream().distinct().toList();
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
            st.addBatch(sql);
        }
        try {
            st.executeBatch();
            // Logged once it ran: writing the log line by line would lengthen the lock.
            LOG.debug("swap: ran {} statement(s):\n  {}", statements.size(), String.join(";\n  ", statements));
        } catch (BatchUpdateException e) {
            st.clearBatch();
            SQLException cause = e.getNextException() != null ? e.getNextException() : e;
            int failed = failedIndex(e, statements);
            String sql = failed < 0 ? "one of " + statements.size() + " statements" : statements.get(failed);
            // Keep the SQLSTATE (a lock timeout here is retried) and say which statement failed.
            throw new StatementFailed(Database.rootMessage(cause) + " (while running: " + sql + ")", cause, sql);
        }
    }

    /** A statement of a batch failed: which one, and the server's own error as the cause. */
    static final class StatementFailed extends SQLException {
        private final String statement;

        StatementFailed(String message, SQLException cause, String statement) {
            super(message, cause.getSQLState(), cause);
            this.statement = statement;
        }

        String statement() {
            return statement;
        }
    }

    /**
     * Which statement of the batch failed. In a transaction pgjdbc reports every entry as failed
     * (what ran before the error is rolled back with it), but its message names the entry: its
     * number, the first in the message in every translation, and its text, which confirms it.
     * -1 when neither tells.
     */
    private static int failedIndex(BatchUpdateException e, List<String> statements) {
        Matcher m = FIRST_NUMBER.matcher(String.valueOf(e.getMessage()));
        if (m.find() && m.group().length() < 6) {
            int entry = Integer.parseInt(m.group());
            if (entry < statements.size() && e.getMessage().contains(statements.get(entry))) {
                return entry;
            }
        }
        // Outside a transaction the entries that ran report their counts: the first failed one is it.
        int[] counts = e.getUpdateCounts();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == Statement.EXECUTE_FAILED) {
                return i == 0 && counts.length > 1 ? -1 : i;
            }
        }
        return counts.length < statements.size() ? counts.length : -1;
    }

    private static final Pattern FIRST_NUMBER = Pattern.compile("\\d+");

    /** Runs the LOCK and, in the same round trip, reads the OID the table's name now has (0: none). */
    private static long lockAndIdentify(Connection c, String lock, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(lock + ";\n" + CURRENT_OID)) {
            ps.setString(1, t.ref().schema());
            ps.setString(2, t.ref().name());
            try (ResultSet rs = Database.lastResultSet(ps)) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** The trial drop of the old table failed: name what depends on it, say nothing was changed. */
    private static RpclException dependents(RepackTable t, String parked, StatementFailed e) {
        String detail = e.getCause() instanceof PSQLException p && p.getServerErrorMessage() != null
                && p.getServerErrorMessage().getDetail() != null
                ? p.getServerErrorMessage().getDetail().replace('\n', ';').replace("sch_repdrop." + parked, t.display())
                : Database.rootMessage(e);
        return RpclException.failed("Cannot swap " + t.display() + ": objects that rpcl cannot recreate depend on it ("
                + detail + "). Nothing was changed; drop or alter those objects, or leave the table out of the configuration.", e);
    }
}
