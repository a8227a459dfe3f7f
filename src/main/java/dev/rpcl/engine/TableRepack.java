package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.Inheritance;
import dev.rpcl.catalog.PartitionSwap;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import dev.rpcl.db.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The phases of one table's repack, on one connection: prepare (copy table, change log and
 * triggers, data copy, indexes, catch-up), then the swap loop (check_time sample, lock attempts
 * with backoff, bounded). The caller holds the table's advisory lock and records the outcome.
 */
final class TableRepack {
    private static final Logger LOG = LoggerFactory.getLogger(TableRepack.class);

    /** Thrown at a safe point when a stop was requested; nothing is half done. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("stop requested", null, false, false);
        }
    }

    /**
     * The swap gave up with the copy intact and caught up: its lock budget spent, or a replay
     * that cannot catch up. on_swap_timeout decides whether the table is cleaned up or kept prepared.
     */
    static final class SwapGaveUp extends RpclException {
        SwapGaveUp(String message) {
            super(Kind.FAILED, message);
        }
    }

    private final Database db;
    private final ConnectionConfig cfg;
    private final RepackOptions opts;
    private final StopGuard stop;
    private final Throttle throttle;
    private final RepackTable t;
    private final Map<String, Long> timings = new LinkedHashMap<>();
    private String fingerprint;
    /** Logged by row triggers: a partition or an inheritance child (ChangeLog.createTriggers). */
    private boolean rowLevel;
    private CopyPhase.ColumnLists cols;
    private Replayer replayer;
    long rowsCopied;
    long rowsReplayed;
    int lockAttempts;
    long lockHeldMs;

    /** Stop polled at safe points only: statements in flight are not cancelled. */
    TableRepack(Database db, RepackOptions opts, BooleanSupplier stop, RepackTable t) {
        this(db, opts, StopGuard.polling(stop), t);
    }

    TableRepack(Database db, RepackOptions opts, StopGuard stop, RepackTable t) {
        this.db = db;
        this.cfg = db.config();
        this.opts = opts;
        this.stop = stop;
        this.throttle = new Throttle(db.config());
        this.t = t;
    }

    Map<String, Long> timings() {
        return timings;
    }

    void checkStop() {
        stop.check();
    }

    /** How often a paused or postponed table says so in the log. */
    private static final long WAITING_REPORT_NS = 60_000_000_000L;

    /**
     * At a safe point: waits while a pause is requested for the table (rpcl pause), then while
     * the throttle holds (max_replica_lag, throttle_query); a stop ends the wait. Returns whether
     * it waited.
     */
    boolean honourPause(Connection c) throws SQLException {
        boolean paused = waitWhilePaused(c);
        return throttle.await(c, t, stop) || paused;
    }

    private boolean waitWhilePaused(Connection c) throws SQLException {
        Optional<Control.Request> pause = Control.find(c, t, Control.PAUSE);
        if (pause.isEmpty()) {
            return false;
        }
        long since = System.nanoTime();
        long nextReport = since + WAITING_REPORT_NS;
        LOG.warn("{}: paused at step '{}': {}; rpcl resume continues it", t.display(), current.dbValue(), pause.get().describe());
        while (pause.isPresent()) {
            pause(Duration.ofSeconds(1));
            if (System.nanoTime() >= nextReport) {
                nextReport = System.nanoTime() + WAITING_REPORT_NS;
                LOG.info("{}: still paused after {} s: {}", t.display(), Elapsed.secondsSince(since),
                        pause.get().describe());
            }
            pause = Control.find(c, t, Control.PAUSE);
        }
        LOG.info("{}: resumed after a pause of {} s", t.display(), Elapsed.secondsSince(since));
        return true;
    }

    private Step current = Step.CREATE_TABLE;

    /** The step the table is in, for failure messages. */
    Step currentStep() {
        return current;
    }

    private void enter(Connection c, Step step) throws SQLException {
        current = step;
        Database.setApplicationName(c, t.display(), step.dbValue());
        RepackState.step(c, t, step);
    }

    private void timed(Connection c, Step step, long startNanos) throws SQLException {
        long ms = Elapsed.msSince(startNanos);
        timings.put(step.dbValue(), ms);
        RepackState.timing(c, t, step.dbValue(), ms);
    }

    /**
     * A role's statement_timeout would cancel a long copy or index build half way; rpcl's own
     * waits are bounded by lock_timeout instead.
     */
    static void sessionDefaults(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = 0");
            // Never read a filtered view of a table: with row security applying, a query fails instead.
            st.execute("SET row_security = off");
            st.execute("SET idle_in_transaction_session_timeout = 0");
        }
    }

    /** From nothing to a copy that is filled, indexed and caught up with the original. */
    void prepare(Connection c) throws SQLException {
        long start = System.nanoTime();
        sessionDefaults(c);
        enter(c, Step.CREATE_TABLE);
        KeyEquality keyEquality = Transactions.call(c, () -> {
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            }
            RepackState.storageOptions(c, t, CopyPhase.createCopy(c, t, opts.customizer()));
            rowLevel = PartitionSwap.parentOf(c, t.ref().oid()).isPresent()
                    || !Inheritance.parents(c, t.ref().oid()).isEmpty();
            KeyEquality equality = KeyEquality.of(c, t);
            ChangeLog.createLogAndFunctions(c, t, rowLevel, equality);
            fingerprint = TableShape.fingerprint(c, t.ref().oid());
            RepackState.fingerprint(c, t, fingerprint);
            return equality;
        });
        createTriggers(c);
        timed(c, Step.CREATE_TABLE, start);
        checkStop();
        honourPause(c);

        start = System.nanoTime();
        enter(c, Step.COPY);
        cols = CopyPhase.columnLists(c, t, opts.customizer());
        RepackState.columns(c, t, cols);
        replayer = new Replayer(t, cols, keyEquality);
        long copyStart = System.nanoTime();
        long tableBytes = Sizes.total(c, t.ref().schema(), t.ref().name());
        if (cfg.copyChunkBytes() > 0) {
            rowsCopied = copyInChunks(c, copyStart);
        } else {
            try (Heartbeat beat = Heartbeat.start(Heartbeat.EVERY, () -> LOG.info("{}: copying for {} s ({} with its indexes to"
                    + " read; the copy's size shows only when it commits)", t.display(),
                    Elapsed.secondsSince(copyStart), Sizes.human(tableBytes)))) {
                rowsCopied = CopyPhase.copyData(c, t, cols, opts.customizer(), stop);
            }
        }
        RepackState.rowsCopied(c, t, rowsCopied);
        timed(c, Step.COPY, start);
        LOG.info("{}: copied {} rows in {} ms", t.display(), rowsCopied, timings.get(Step.COPY.dbValue()));
        checkStop();

        honourPause(c);
        List<IndexPhase.IndexJob> jobs = IndexPhase.plan(c, t);
        try (Heartbeat beat = Heartbeat.start(Heartbeat.EVERY, () -> indexProgress(jobs.size()))) {
            buildIndexes(c, jobs);
        }
        checkStop();
        addPartitionForeignKeys(c);

        start = System.nanoTime();
        enter(c, Step.REPLAY);
        catchUp(c);
        timed(c, Step.REPLAY, start);
    }

    /**
     * The copy in chunks of copy_chunk (CopyPhase.copyDataInChunks), on a second session that
     * checks for a stop, a pause and the throttle between chunks; a progress line every 10 s.
     */
    private long copyInChunks(Connection c, long copyStart) throws SQLException {
        AtomicLong done = new AtomicLong();
        AtomicLong total = new AtomicLong();
        try (Connection worker = db.connect();
             Heartbeat beat = Heartbeat.start(Heartbeat.EVERY, () -> {
                 long pages = done.get();
                 long all = Math.max(1, total.get());
                 double seconds = (System.nanoTime() - copyStart) / 1e9;
                 LOG.info("{}: copied {} of {} pages ({}%) in {} s in chunks of {}{}", t.display(), pages, all, pages * 100 / all,
                         Math.round(seconds), Sizes.human(cfg.copyChunkBytes()), pages == 0 ? ""
                                 : ", about " + Math.round(seconds * (all - pages) / pages) + " s to go");
             })) {
            sessionDefaults(worker);
            Database.setApplicationName(worker, t.display(), Step.COPY.dbValue());
            long rows = CopyPhase.copyDataInChunks(c, worker, t, cols, opts.customizer(), cfg.copyChunkBytes(), stop, w -> {
                checkStop();
                honourPause(w);
            }, done, total);
            LOG.info("{}: copied {} pages in chunks of {}", t.display(), total.get(), Sizes.human(cfg.copyChunkBytes()));
            return rows;
        }
    }

    /** The index builds on the copy in progress now, from pg_stat_progress_create_index, as a log line. */
    private void indexProgress(int total) {
        try (Connection w = db.connect(); var ps = w.prepareStatement("SELECT pg_catalog.to_regclass(?)::oid")) {
            ps.setString(1, t.copy());
            List<String> building;
            try (var rs = ps.executeQuery()) {
                building = rs.next() && rs.getObject(1) != null ? RunStatus.indexBuilds(w, rs.getLong(1)) : List.of();
            }
            if (!building.isEmpty()) {
                LOG.info("{}: building {} ({} index(es) in all)", t.display(), String.join(", ", building), total);
            }
        } catch (SQLException e) {
            LOG.debug("{}: cannot read the index builds' progress: {}", t.display(), e.getMessage());
        }
    }

    private void buildIndexes(Connection c, List<IndexPhase.IndexJob> jobs) throws SQLException {
        long start = System.nanoTime();
        enter(c, Step.CREATE_PKEY);
        for (IndexPhase.IndexJob job : jobs.stream().filter(IndexPhase.IndexJob::primary).toList()) {
            IndexPhase.build(c, job, stop);
        }
        timed(c, Step.CREATE_PKEY, start);
        checkStop();
        start = System.nanoTime();
        enter(c, Step.CREATE_INDICES);
        for (IndexPhase.IndexJob job : jobs.stream().filter(j -> !j.primary()).toList()) {
            long built = System.nanoTime();
            IndexPhase.build(c, job, stop);
            LOG.info("{}: built index {} in {} ms", t.display(), job.name(), Elapsed.msSince(built));
            checkStop();
            honourPause(c);
        }
        timed(c, Step.CREATE_INDICES, start);
        LOG.info("{}: built {} index(es) on the copy in {} ms", t.display(), jobs.size(),
                timings.get(Step.CREATE_PKEY.dbValue()) + timings.get(Step.CREATE_INDICES.dbValue()));
    }

    /**
     * A prepared table found intact by a later run: pick up its fingerprint and the column lists
     * its copy was made with, so replayed rows get the same table_conf rules as copied ones.
     */
    void resume(Connection c, RepackState.Row stored) throws SQLException {
        sessionDefaults(c);
        fingerprint = stored.fingerprint();
        cols = stored.columns();
        if (cols == null) {
            // Prepared before the lists were recorded: the current ones are the best guess, recorded from now on.
            cols = CopyPhase.columnLists(c, t, opts.customizer());
            RepackState.columns(c, t, cols);
        }
        replayer = new Replayer(t, cols, KeyEquality.of(c, t));
        enter(c, Step.REPLAY);
    }

    /**
     * Warns when table_conf now gives the table other rules than its copy was made with: the
     * copy keeps its own until the swap, the change applies at the next repack.
     */
    void warnIfConfChanged(Connection c, RepackState.Row stored) throws SQLException {
        List<String> changed = new ArrayList<>();
        if (stored.columns() != null && !stored.columns().equals(CopyPhase.columnLists(c, t, opts.customizer()))) {
            changed.add("column rules");
        }
        if (stored.storageOptions() != null) {
            List<String> now = CopyPhase.tableInfo(c, t, opts.customizer()).options().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
            if (!now.equals(stored.storageOptions().stream().sorted().toList())) {
                changed.add("storage options (copy made with " + stored.storageOptions() + ", now " + now + ")");
            }
        }
        if (!changed.isEmpty()) {
            LOG.warn("{}: the table configuration changed since its copy was made ({}); this repack keeps the settings"
                    + " of the copy, the change applies at the next repack", t.display(), String.join(", ", changed));
        }
    }

    /**
     * A partition's foreign keys come from its partitioned table: the copy gets them now, so that
     * ATTACH at the swap takes them over instead of validating them on the whole copy under the
     * lock. Added NOT VALID, which needs a moment's SHARE ROW EXCLUSIVE lock on the referenced
     * table (retried as the triggers are), then validated, which blocks no one.
     */
    private void addPartitionForeignKeys(Connection c) throws SQLException {
        List<PartitionSwap.ForeignKey> keys = PartitionSwap.foreignKeysForCopy(c, t.ref());
        if (keys.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        List<String> toValidate = new ArrayList<>();
        LockRetry retry = new LockRetry(cfg.lockTimeout(), opts.maxSwapAttempts());
        boolean added = retry.run(c, 0, this::checkStop, st -> {
            // Read again with this path, so that the definitions name every table with its schema.
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            toValidate.clear();
            for (var key : PartitionSwap.foreignKeysForCopy(c, t.ref())) {
                st.execute("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(key.name()) + " " + key.definition()
                        + " NOT VALID");
                if (key.validated()) {
                    toValidate.add(key.name());
                }
            }
        }, () -> LOG.info("{}: adding the partitioned table's foreign keys to the copy waits for the sessions writing the"
                + " tables they reference; attempt {} gave up after {} ms, retrying", t.display(), retry.attempts(),
                retry.current().toMillis()));
        if (!added) {
            throw RpclException.failed("Cannot add the foreign keys of " + t.display() + "'s partitioned table to its copy:"
                    + " the tables they reference stayed locked through " + retry.attempts() + " attempts (lock_timeout "
                    + cfg.lockTimeout().toMillis() + " ms). Retry at a quieter time or raise lock_timeout.");
        }
        try (Statement st = c.createStatement()) {
            for (String name : toValidate) {
                stop.run(st, () -> st.execute("ALTER TABLE " + t.copy() + " VALIDATE CONSTRAINT " + Sql.ident(name)));
            }
        }
        LOG.info("{}: the copy was given its partitioned table's {} foreign key(s), validated, in {} ms", t.display(),
                keys.size(), Elapsed.msSince(start));
    }

    /** CREATE TRIGGER waits for every writer of the table: bounded by lock_timeout, retried. */
    private void createTriggers(Connection c) throws SQLException {
        LockRetry retry = new LockRetry(cfg.lockTimeout(), opts.maxSwapAttempts());
        boolean created = retry.run(c, t.ref().oid(), this::checkStop, st -> ChangeLog.createTriggers(c, t, rowLevel),
                () -> LOG.info("{}: creating the triggers waits for the table's sessions; attempt {} gave up after {} ms,"
                        + " retrying{}", t.display(), retry.attempts(), retry.current().toMillis(), heldBy(c)));
        if (!created) {
            throw RpclException.failed("Cannot create the change log triggers on " + t.display() + ": its writers"
                    + " kept it locked through " + retry.attempts() + " attempts that waited " + retry.waitedMs()
                    + " ms in all (lock_timeout " + cfg.lockTimeout().toMillis() + " ms)" + heldBy(c)
                    + ". Retry at a quieter time or raise lock_timeout.");
        }
    }

    /** "; held by pid ..." naming the sessions that hold a lock on the table now, or "". */
    private String heldBy(Connection c) throws SQLException {
        List<String> holders = LockHolders.of(c, t.ref().oid());
        return holders.isEmpty() ? "" : "; held by " + String.join("; ", holders);
    }

    /** How many counts of the backlog back a catch-up compares with, to tell whether it gains. */
    static final int CATCH_UP_CHECKS = 3;

    /**
     * Replays batches until less than one batch is left, or until the replay stops gaining on
     * the changes: the backlog is counted every check_time (at least every second), and once it
     * is no lower than {@link #CATCH_UP_CHECKS} counts before, the catch-up ends, so that the
     * readiness sample judges, with its bounded rounds. A backlog that shrinks, however slowly,
     * is drained; changes that come faster than the replay applies them would otherwise keep it
     * replaying for ever.
     */
    void catchUp(Connection c) throws SQLException {
        long start = System.nanoTime();
        long checkEveryNs = Math.max(1_000_000_000L, cfg.checkTime().toNanos());
        long nextCheck = start + checkEveryNs;
        long nextProgress = start + Heartbeat.EVERY.toNanos();
        Readiness.Gain gain = new Readiness.Gain(CATCH_UP_CHECKS);
        long rows = 0;
        while (true) {
            checkStop();
            if (honourPause(c)) {
                // The backlog grew while rpcl waited: judge the replay's gain from now on.
                gain = new Readiness.Gain(CATCH_UP_CHECKS);
                nextCheck = System.nanoTime() + checkEveryNs;
            }
            Replayer.Batch b = replayOnce(c);
            rows += b.logRows();
            long ms = Math.max(1, Elapsed.msSince(start));
            if (b.logRows() < cfg.maxReplayRows()) {
                if (rows > 0) {
                    LOG.info("{}: replayed {} log rows in {} ms ({} rows/s)", t.display(), rows, ms, rows * 1000 / ms);
                }
                return;
            }
            if (System.nanoTime() >= nextProgress) {
                nextProgress = System.nanoTime() + Heartbeat.EVERY.toNanos();
                LOG.info("{}: replaying: {} log rows in {} s ({} rows/s), {} still to replay", t.display(), rows, ms / 1000,
                        rows * 1000 / ms, ChangeLog.backlog(c, t));
            }
            if (System.nanoTime() >= nextCheck) {
                nextCheck = System.nanoTime() + checkEveryNs;
                long backlog = ChangeLog.backlog(c, t);
                if (!gain.gaining(backlog)) {
                    LOG.warn("{}: the replay is not gaining on the changes: {} log rows replayed in {} ms ({} rows/s),"
                            + " {} still to replay; handing over to the check_time sample", t.display(), rows, ms,
                            rows * 1000 / ms, backlog);
                    return;
                }
            }
        }
    }

    Replayer.Batch replayOnce(Connection c) throws SQLException {
        long start = System.nanoTime();
        Replayer.Batch b = replayer.replayBatch(c, cfg.maxReplayRows());
        if (b.logRows() > 0) {
            rowsReplayed += b.logRows();
            RepackState.addReplayed(c, t, b.logRows());
            long ms = Math.max(1, Elapsed.msSince(start));
            LOG.debug("{}: replayed {} log rows ({} keys{}) in {} ms, {} rows/s", t.display(), b.logRows(), b.keys(),
                    b.everything() ? ", every visible change" : "", ms, b.logRows() * 1000 / ms);
        }
        return b;
    }

    /** Check, lock, swap; bounded. Throws RpclException when the table cannot be swapped. */
    void swapLoop(Connection c) throws SQLException {
        DefaultPartitionGuard.ensure(c, t, cfg.lockTimeout(), opts.maxSwapAttempts());
        Readiness.Rounds rounds = new Readiness.Rounds(opts.maxCatchUpRounds(), Readiness.limit(cfg));
        int swapPid = backendPid(c);
        String lastProblem = null;
        LockRetry retry = new LockRetry(cfg.lockTimeout(), opts.maxSwapAttempts());
        long postponedSince = 0;
        long nextPostponedReport = 0;
        long nextAttemptReport = 0;
        while (true) {
            checkStop();
            Database.setApplicationName(c, t.display(), Step.REPLAY.dbValue());
            catchUp(c);
            Optional<Control.Request> postponed = Control.find(c, t, Control.POSTPONE_SWAP);
            if (postponed.isPresent()) {
                // Caught up, and kept so; the lock waits for release_swap.
                if (postponedSince == 0 || System.nanoTime() >= nextPostponedReport) {
                    postponedSince = postponedSince == 0 ? System.nanoTime() : postponedSince;
                    nextPostponedReport = System.nanoTime() + WAITING_REPORT_NS;
                    LOG.info("{}: caught up; the swap waits: {}; rpcl release_swap lets it go", t.display(), postponed.get().describe());
                }
                pause(Duration.ofSeconds(1));
                continue;
            }
            if (postponedSince != 0) {
                LOG.info("{}: swap released after {} s", t.display(), Elapsed.secondsSince(postponedSince));
                postponedSince = 0;
            }
            Readiness.Sample sample = Readiness.sample(c, t, cfg, this::checkStop, () -> replayOnce(c));
            Readiness.Rounds.Verdict verdict = rounds.judge(sample.backlogAfterReplay());
            if (verdict == Readiness.Rounds.Verdict.GIVE_UP) {
                throw new SwapGaveUp("The replay of " + t.display() + " cannot catch up with its changes: "
                        + sample.describe() + ", and " + rounds.rounds() + " samples of check_time brought it no closer"
                        + " to the swap. Repack it at a quieter time or raise max_replay_rows.");
            }
            if (verdict == Readiness.Rounds.Verdict.AGAIN) {
                LOG.warn("{}: the replay cannot catch up yet ({}); sample {}, {} of at most {} without progress", t.display(),
                        sample.describe(), rounds.rounds(), rounds.withoutProgress(), opts.maxCatchUpRounds());
                continue;
            }
            checkStop();
            lockAttempts++;
            current = Step.SWAP_TABLES;
            Database.setApplicationName(c, t.display(), Step.SWAP_TABLES.dbValue());
            RepackState.step(c, t, Step.SWAP_TABLES);
            long start = System.nanoTime();
            SwapPhase.Attempt a;
            try (BlockerResolver watcher = BlockerResolver.watch(db, cfg.deadlockResolution(), t.display(), swapPid,
                    cfg.lockTimeout())) {
                a = SwapPhase.attempt(c, t, replayer, fingerprint, opts.carriers(), retry.next(), lockAttempts);
            }
            rowsReplayed += a.replayedAhead();
            if (a.swapped()) {
                rowsReplayed += a.replayedRows();
                lockHeldMs = a.heldMs();
                timings.put(Step.SWAP_TABLES.dbValue(), Elapsed.msSince(start));
                RepackState.lockHeld(c, t, lockHeldMs);
                RepackState.timing(c, t, Step.SWAP_TABLES.dbValue(), timings.get(Step.SWAP_TABLES.dbValue()));
                LOG.info("{}: swapped on attempt {}: waited {} ms for the lock, held it {} ms, replayed {} log rows under it",
                        t.display(), lockAttempts, a.waitMs(), a.heldMs(), a.replayedRows());
                return;
            }
            long allowed = retry.current().toMillis();
            // With deadlock_resolution set, the attempts grow as before: the blockers are then dealt with
            // once an attempt has waited long enough, idle or not.
            boolean grow = cfg.deadlockResolution() != ConnectionConfig.DeadlockResolution.NOTHING
                    || LockHolders.worthWaitingLonger(c, t.ref().oid(), retry.grown().toMillis());
            boolean spent = retry.gaveUp(a.waitMs(), grow);
            lastProblem = a.lockProblem() + heldBy(c);
            RepackState.step(c, t, Step.SWAP_ABORTED);
            // The first failure and then one every 10 s at warning level: behind an idle blocker the attempts stay
            // short and come several times a second.
            boolean report = lockAttempts == 1 || System.nanoTime() >= nextAttemptReport;
            if (report) {
                nextAttemptReport = System.nanoTime() + Heartbeat.EVERY.toNanos();
            }
            String attemptLine = "{}: swap attempt {} gave up after waiting {} ms of the {} ms it allowed itself ({} of {} ms of"
                    + " lock waits used): {}";
            if (report) {
                LOG.warn(attemptLine, t.display(), lockAttempts, a.waitMs(), allowed, retry.waitedMs(), retry.budgetMs(), lastProblem);
            } else {
                LOG.debug(attemptLine, t.display(), lockAttempts, a.waitMs(), allowed, retry.waitedMs(), retry.budgetMs(), lastProblem);
            }
            if (spent) {
                throw new SwapGaveUp("Cannot swap " + t.display() + ": " + lastProblem + ", in " + lockAttempts
                        + " attempts that waited " + retry.waitedMs() + " ms in all (lock_timeout "
                        + cfg.lockTimeout().toMillis() + " ms). Retry when the table is idle, raise lock_timeout, or set"
                        + " deadlock_resolution.");
            }
            pause(retry.pause());
        }
    }

    /** Sleeps between lock attempts, a stop request ending the wait. */
    private void pause(Duration d) {
        stop.pause(d.toMillis());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
    }

    static int backendPid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT pg_catalog.pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
