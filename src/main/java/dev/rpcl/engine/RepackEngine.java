package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.Candidate;
import dev.rpcl.catalog.Carrier;
import dev.rpcl.catalog.TableSelector;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.TableConf;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The online repack of one connection's tables: repack_tables, prepare_repack, the replay of
 * prepared tables, abort_repack. Returns results and logs; never prints. {@code stopRequested}
 * is polled at safe points (between phases and batches, before each swap attempt): a stopped
 * table is cleaned up, or stays prepared if it was; a swap is never left half done.
 *
 * <p>Open the {@link Database} with {@link #POOL_SIZE} connections.
 */
public final class RepackEngine {
    private static final Logger LOG = LoggerFactory.getLogger(RepackEngine.class);

    /** Connections the engine may use at once: work, advisory lock, blocker watcher, old-table drop, spare. */
    public static final int POOL_SIZE = 6;

    /** After a failure the blocker is often still there: try a few times, then make the triggers inert. */
    private static final int CLEANUP_ATTEMPTS = 3;

    private final Database db;
    private final RepackOptions opts;
    private final StopGuard guard;
    private final BooleanSupplier stop;
    private final OldTableDrops drops;

    /** The stop is polled at safe points; a statement in flight (a copy, an index build) runs to its end. */
    public RepackEngine(Database db, RepackOptions options, BooleanSupplier stopRequested) {
        this(db, options, StopGuard.polling(stopRequested));
    }

    /**
     * The stop is polled at safe points, and cancels the copy or index builds in flight, whose
     * work is rolled back: a stop takes effect in moments, whatever the size of the table.
     */
    public RepackEngine(Database db, RepackOptions options, StopSignal stop) {
        this(db, options, StopGuard.cancelling(stop));
    }

    private RepackEngine(Database db, RepackOptions options, StopGuard guard) {
        this.db = db;
        this.opts = options;
        this.guard = guard;
        this.stop = guard.asSupplier();
        this.drops = new OldTableDrops(db);
    }

    /** The configured tables, qualifying or not (with the reason), largest estimated waste first. */
    public List<Candidate> candidates() {
        return candidates(true);
    }

    private List<Candidate> candidates(boolean needHelperSchemas) {
        try (Connection c = db.connect()) {
            if (needHelperSchemas) {
                HelperSchema.requirePresent(c, db);
            }
            ConnectionConfig cfg = db.config();
            TableSelector.Selection sel = new TableSelector.Selection(cfg.schemas(), cfg.tables(), cfg.excludeSchemas(),
                    cfg.excludeTables());
            List<String> missing = new ArrayList<>();
            for (String m : TableSelector.missing(c, sel)) {
                // A prepared table the application renamed or dropped since is not a typo: cleanUpMoved reports it.
                int dot = m.indexOf('.');
                if (!(m.startsWith("table ") && dot > 0 && HelperSchema.exists(c)
                        && RepackState.find(c, m.substring("table ".length(), dot), m.substring(dot + 1)).isPresent())) {
                    missing.add(m);
                }
            }
            if (!missing.isEmpty()) {
                throw RpclException.badInput("Connection " + cfg.name() + " names what database " + cfg.database()
                        + " does not have: " + String.join(", ", missing) + ". Correct schemas and tables in the"
                        + " configuration; nothing was repacked.");
            }
            return TableSelector.select(c, sel);
        } catch (SQLException e) {
            throw failure("Cannot list the tables to repack", e);
        }
    }

    /** Heap, indexes and TOAST of a table, and the server's wal_level. */
    private static final String PLAN_SIZES = """
            SELECT pg_catalog.pg_relation_size(c.oid) AS heap, pg_catalog.pg_indexes_size(c.oid) AS indexes,
                   coalesce(pg_catalog.pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast,
                   current_setting('wal_level') AS wal_level
              FROM pg_catalog.pg_class c WHERE c.oid = ?
            """;

    /** Columns that may hold a table's OID, which the swap retires. */
    private static final String OID_COLUMNS = """
            SELECT n.nspname || '.' || c.relname || '.' || a.attname || ' (' || pg_catalog.format_type(a.atttypid, NULL) || ')'
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE a.atttypid IN ('pg_catalog.regclass'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype,
                                  'pg_catalog.regclass[]'::pg_catalog.regtype, 'pg_catalog.oid[]'::pg_catalog.regtype)
               AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'sch_repcloud', 'sch_repnew', 'sch_repdrop')
               AND n.nspname !~ '^pg_'
             ORDER BY 1
            """;

    /**
     * plan, and --dry-run of repack_tables and prepare_repack: what repack_tables would do with
     * each selected table now, in its order, and what it would cost. Reads only, and needs no
     * helper schema: it can be run before create_schema.
     */
    public Plan plan() {
        return plan(false);
    }

    /** The plan of prepare_repack when {@code staging}, else of repack_tables. */
    public Plan plan(boolean staging) {
        List<Candidate> candidates = candidates(false);
        try (Connection c = db.connect()) {
            opts.customizer().check(c, candidates.stream().filter(Candidate::qualifies).toList());
            boolean helpers = HelperSchema.exists(c);
            String walLevel = "replica";
            List<Plan.Entry> entries = new ArrayList<>();
            for (Candidate cand : candidates) {
                RepackTable t = RepackTable.of(cand.oid(), cand.schema(), cand.name(), cand.keyColumns());
                CatalogSizes sizes = sizes(c, cand.oid());
                walLevel = sizes.walLevel();
                Plan.Action action;
                String reason = null;
                EngineChoice engine = chooseEngine(c, cand, staging);
                Optional<RepackState.Row> state = helpers ? RepackState.find(c, cand.schema(), cand.name()) : Optional.empty();
                if (engine.kind() == EngineChoice.Kind.SKIP) {
                    action = Plan.Action.SKIP;
                    reason = engine.reason();
                } else if (engine.kind() == EngineChoice.Kind.RPCL && !cand.qualifies()) {
                    action = Plan.Action.SKIP;
                    reason = cand.skipReason();
                } else if (inFlight(state)) {
                    action = Plan.Action.RESUME;
                    reason = "left by an earlier run (" + state.get().status() + " at step '" + state.get().step().dbValue()
                            + "'): caught up and swapped";
                } else if ((reason = underThresholds(cand)) != null) {
                    action = Plan.Action.HEALTHY;
                } else if (engine.kind() == EngineChoice.Kind.REPACK) {
                    action = Plan.Action.REPACK;
                } else {
                    List<String> blockers = blockers(c, t);
                    action = blockers.isEmpty() ? Plan.Action.REPACK : Plan.Action.SKIP;
                    reason = blockers.isEmpty() ? null : String.join("; ", blockers);
                }
                // The estimated waste is the heap's, TOAST's and the B-tree indexes'.
                long after = cand.wastedBytes() == Candidate.UNKNOWN ? cand.totalBytes()
                        : Math.max(0, cand.totalBytes() - cand.wastedBytes());
                long peak = after * ("minimal".equals(sizes.walLevel()) ? 1 : 2);
                boolean works = action == Plan.Action.REPACK || action == Plan.Action.RESUME;
                entries.add(new Plan.Entry(cand.display(), action, reason,
                        works ? (engine.kind() == EngineChoice.Kind.REPACK ? TableResult.CORE_REPACK : "rpcl") : null, works ? engine.reason() : null,
                        engine.kind() == EngineChoice.Kind.REPACK ? "the table's replica identity" : cand.keySource(),
                        cand.totalBytes(),
                        cand.wastedBytes() == Candidate.UNKNOWN ? Candidate.UNKNOWN : cand.totalBytes() - after,
                        works ? after : cand.totalBytes(), works ? peak : 0, works ? LockHolders.of(c, cand.oid()) : List.of()));
            }
            List<String> oidColumns = new ArrayList<>();
            try (var st = c.createStatement(); var rs = st.executeQuery(OID_COLUMNS)) {
                while (rs.next()) {
                    oidColumns.add(rs.getString(1));
                }
            }
            return new Plan(db.config().name(), db.config().database(), walLevel, entries, oidColumns);
        } catch (SQLException e) {
            throw failure("Cannot plan the repack", e);
        }
    }

    private record CatalogSizes(long heap, long indexes, long toast, String walLevel) {
    }

    private static CatalogSizes sizes(Connection c, long oid) throws SQLException {
        try (var ps = c.prepareStatement(PLAN_SIZES)) {
            ps.setLong(1, oid);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return new CatalogSizes(rs.getLong("heap"), rs.getLong("indexes"), rs.getLong("toast"), rs.getString("wal_level"));
            }
        }
    }

    /** repack_tables: every candidate copied, replayed and swapped one by one, then finished. */
    public RepackReport repackTables() {
        // The configuration is checked before anything is touched, the finishing of earlier runs included.
        List<Candidate> candidates = checked(candidates());
        finish();
        List<TableResult> results = new ArrayList<>(maintenance().cleanUpMoved());
        for (Candidate cand : announce(candidates, false)) {
            if (stop.getAsBoolean()) {
                results.add(TableResult.of(cand.display(), TableResult.Status.STOPPED, "not started: a stop was requested"));
                continue;
            }
            results.add(repack(cand));
        }
        Map<String, String> warnings = finish();
        return new RepackReport(db.config().name(), withFinish(results, warnings));
    }

    /** prepare_repack: every candidate copied, indexed and caught up, left 'prepared' for the swap. */
    public RepackReport prepareTables() {
        List<Candidate> candidates = checked(candidates());
        List<TableResult> results = new ArrayList<>(maintenance().cleanUpMoved());
        for (Candidate cand : announce(candidates, true)) {
            if (stop.getAsBoolean()) {
                results.add(TableResult.of(cand.display(), TableResult.Status.STOPPED, "not started: a stop was requested"));
                continue;
            }
            results.add(prepare(cand));
        }
        return new RepackReport(db.config().name(), results);
    }

    /** One table, from nothing (or from its prepared state) to swapped. Call {@link #finish()} afterwards. */
    public TableResult repack(Candidate cand) {
        return run(cand, true);
    }

    /** One table, up to a caught-up copy; its status becomes 'prepared'. */
    public TableResult prepare(Candidate cand) {
        return run(cand, false);
    }

    /**
     * replay_data: one batch for every prepared table that no other rpcl process is working on.
     * Returns the log rows replayed, so a daemon can sleep when there was nothing to do.
     */
    public long replayPrepared() {
        return maintenance().replayPrepared();
    }

    /** abort_repack for every table rpcl left prepared, in progress or failed. */
    public RepackReport abortAll() {
        return maintenance().abortAll();
    }

    /**
     * Drops a table's triggers, log, functions and copy and removes its state; safe to run
     * twice. A table already swapped is finished instead (its swap cannot be undone).
     */
    public TableResult abort(String schema, String name) {
        return maintenance().abort(schema, name);
    }

    private Maintenance maintenance() {
        return new Maintenance(db, opts, stop, this::finish);
    }

    /**
     * The work that follows the swaps: the statements the carriers left for after the commit
     * (VALIDATE of foreign keys added NOT VALID), each once, then
     * ANALYZE when analyze_tables is set; the tables become 'complete'. Also finishes tables that
     * an interrupted run swapped. Returns warnings by table.
     */
    public Map<String, String> finish() {
        try (Connection c = db.connect()) {
            return Finisher.finish(c, db.config(), drops::awaitAll);
        } catch (SQLException e) {
            throw failure("Cannot finish the swapped tables", e);
        } finally {
            // Never return (and let the process exit) with a drop half way: it would be rolled back.
            drops.awaitAll();
        }
    }

    /**
     * Checks the table configuration against the tables this engine would work on, touching
     * nothing: the command line runs it for every connection before any table of any connection
     * is repacked, and before it goes to the background, where an error would reach only the log.
     */
    public void checkTableConfiguration() {
        checked(candidates());
    }

    /** The customizer (table_conf) checked against the qualifying tables before any is touched. */
    private List<Candidate> checked(List<Candidate> candidates) {
        try (Connection c = db.connect()) {
            opts.customizer().check(c, candidates.stream().filter(Candidate::qualifies).toList());
            new Throttle(db.config()).check(c);
        } catch (SQLException e) {
            throw failure("Cannot check the table configuration", e);
        }
        return candidates;
    }

    private List<Candidate> announce(List<Candidate> candidates, boolean staging) {
        try (Connection c = db.connect()) {
            for (Candidate cand : candidates) {
                EngineChoice engine = chooseEngine(c, cand, staging);
                String gain = cand.wastedBytes() == Candidate.UNKNOWN ? "no statistics to estimate what there is"
                        : "an estimated " + Sizes.human(cand.wastedBytes());
                if (engine.kind() == EngineChoice.Kind.REPACK) {
                    LOG.info("{}: {} in total, {} to gain; engine REPACK (CONCURRENTLY): {}", cand.display(),
                            Sizes.human(cand.totalBytes()), gain, engine.reason());
                } else if (engine.kind() == EngineChoice.Kind.RPCL && cand.qualifies()) {
                    LOG.info("{}: {} in total, {} to gain; engine rpcl ({}); rows identified by its {}", cand.display(),
                            Sizes.human(cand.totalBytes()), gain, engine.reason(), cand.keySource());
                } else {
                    LOG.warn("{}: skipped: {}", cand.display(), engine.kind() == EngineChoice.Kind.SKIP ? engine.reason()
                            : cand.skipReason());
                }
            }
        } catch (SQLException e) {
            throw failure("Cannot choose the engines", e);
        }
        return candidates;
    }

    private TableResult run(Candidate cand, boolean swap) {
        RepackTable t = RepackTable.of(cand.oid(), cand.schema(), cand.name(), cand.keyColumns());
        TableRepack work = new TableRepack(db, opts, guard, t);
        // The advisory lock that keeps other rpcl processes off the table is held by the session
        // that does the work: if that session is lost, the work stops with it. On a session of its
        // own, idle and unwatched, a lost lock let a second process work on the same table.
        try (Connection c = db.connect()) {
            EngineChoice engine = chooseEngine(c, cand, !swap);
            if (engine.kind() == EngineChoice.Kind.SKIP) {
                LOG.warn("{}: skipped: {}", cand.display(), engine.reason());
                return TableResult.skipped(cand.display(), cand.totalBytes(), engine.reason());
            }
            if (engine.kind() == EngineChoice.Kind.RPCL && !cand.qualifies()) {
                return TableResult.skipped(cand.display(), cand.totalBytes(), cand.skipReason());
            }
            if (!Cleanup.tryLock(c, t)) {
                return TableResult.skipped(cand.display(), cand.totalBytes(), Cleanup.heldElsewhere(c, t));
            }
            try {
                if (unfinishedSwap(c, t)) {
                    return TableResult.skipped(cand.display(), cand.totalBytes(), "swapped by an earlier run whose finishing"
                            + " could not complete (see the warning above); the next repack_tables or abort_repack finishes it");
                }
                String healthy = underThresholds(cand);
                if (healthy != null && !inFlight(c, t)) {
                    LOG.info("{}: not repacked: {}", cand.display(), healthy);
                    return TableResult.of(cand.display(), TableResult.Status.HEALTHY, healthy).withSizeBefore(cand.totalBytes());
                }
                if (engine.kind() == EngineChoice.Kind.REPACK) {
                    return new CoreRepack(db, opts, guard).run(c, cand, t, engine.reason());
                }
                List<String> blockers = blockers(c, t);
                if (!blockers.isEmpty()) {
                    return TableResult.skipped(cand.display(), cand.totalBytes(), String.join("; ", blockers)
                            + dropLeftovers(c, t));
                }
                return runLocked(c, cand, t, work, swap);
            } finally {
                Cleanup.unlock(c, t);
            }
        } catch (SQLException | RpclException e) {
            return TableResult.of(cand.display(), TableResult.Status.FAILED, message(e));
        } catch (RuntimeException e) {
            // Nothing of this table was touched yet (runLocked cleans up after its own failures):
            // the run goes on with the next table.
            LOG.error("{}: unexpected failure before the repack started", cand.display(), e);
            return TableResult.of(cand.display(), TableResult.Status.FAILED, unexpected(e));
        }
    }

    private TableResult runLocked(Connection c, Candidate cand, RepackTable t, TableRepack work, boolean swap) throws SQLException {
        long start = System.nanoTime();
        try {
            if (!resumePrepared(c, cand, t, work)) {
                RepackState.start(c, t, cand.totalBytes());
                LOG.info("{}: repack started", t.display());
                work.prepare(c);
            }
            if (!swap) {
                RepackState.status(c, t, RepackState.PREPARED, null);
                LOG.info("{}: prepared in {} ms: copied {} rows, replayed {} log rows", t.display(),
                        Elapsed.msSince(start), work.rowsCopied, work.rowsReplayed);
                return result(t, cand, TableResult.Status.PREPARED, null, work, 0);
            }
            // A prepared table taken up for its swap is in progress again, so that finish() completes it.
            RepackState.status(c, t, RepackState.IN_PROGRESS, null);
            work.swapLoop(c);
            drops.submit(t);
            long sizeAfter = Sizes.total(c, t.ref().schema(), t.ref().name());
            LOG.info("{}: repacked in {} ms: {} -> {} (gained {}, estimated {}), {} rows copied, {} log rows replayed, {} lock"
                    + " attempt(s), lock held {} ms; time per step (ms): {}", t.display(), Elapsed.msSince(start),
                    Sizes.human(cand.totalBytes()), Sizes.human(sizeAfter), Sizes.human(cand.totalBytes() - sizeAfter),
                    cand.wastedBytes() == Candidate.UNKNOWN ? "without statistics" : Sizes.human(cand.wastedBytes()),
                    work.rowsCopied, work.rowsReplayed, work.lockAttempts, work.lockHeldMs, work.timings());
            return result(t, cand, TableResult.Status.REPACKED, null, work, sizeAfter);
        } catch (TableRepack.SwapGaveUp e) {
            if (db.config().onSwapTimeout() == ConnectionConfig.SwapTimeout.KEEP_PREPARED) {
                String msg = e.getMessage() + " Kept prepared (on_swap_timeout = keep_prepared): replay_data keeps its change"
                        + " log short, and the next repack_tables swaps it; abort_repack removes it";
                LOG.error("{}: swap not done: {}", t.display(), msg);
                RepackState.status(c, t, RepackState.PREPARED, msg);
                return result(t, cand, TableResult.Status.LEFT_PREPARED, msg, work, 0);
            }
            LOG.error("{}: repack failed: {}", t.display(), e.getMessage());
            return result(t, cand, TableResult.Status.FAILED, withNote(e.getMessage(), cleanUpAfterFailure(c, t, e.getMessage())),
                    work, 0);
        } catch (TableRepack.Stopped s) {
            LOG.warn("{}: stop requested; cleaning up the unfinished repack", t.display());
            return result(t, cand, TableResult.Status.STOPPED, withNote("stopped before the swap; the table is unchanged",
                    cleanUpAfterFailure(c, t, null)), work, 0);
        } catch (SQLException | RpclException e) {
            String msg = e instanceof RpclException ? e.getMessage()
                    : "step '" + work.currentStep().dbValue() + "' failed: " + Database.rootMessage(e);
            LOG.error("{}: repack failed: {}", t.display(), msg, e instanceof RpclException ? null : e);
            return result(t, cand, TableResult.Status.FAILED, withNote(msg, cleanUpAfterFailure(c, t, msg)), work, 0);
        } catch (RuntimeException e) {
            // A failure rpcl did not foresee (a bug, a driver surprise) is handled like any other:
            // the table is cleaned up and the run goes on with the next one; the stack trace goes
            // to the log, for the bug report.
            String msg = "step '" + work.currentStep().dbValue() + "' failed: " + unexpected(e);
            LOG.error("{}: repack failed: {}", t.display(), msg, e);
            return result(t, cand, TableResult.Status.FAILED, withNote(msg, cleanUpAfterFailure(c, t, msg)), work, 0);
        }
    }

    private static String unexpected(RuntimeException e) {
        return "unexpected " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + " (an rpcl bug: please report it with the log file)";
    }

    /** A prepared table found intact continues from its copy; anything else left behind is cleaned up. */
    /**
     * Why the table is not worth repacking, or null when it is: its estimated gain is under
     * min_gain or under min_gain_ratio of its total size. Without an estimate (no statistics at
     * all) it is repacked, as before thresholds existed.
     */
    private String underThresholds(Candidate cand) {
        ConnectionConfig cfg = db.config();
        TableConf.Thresholds own = opts.customizer().thresholds(ref(cand));
        long minGain = own.minGain() != null ? own.minGain() : cfg.minGainBytes();
        double minRatio = own.minGainRatio() != null ? own.minGainRatio() : cfg.minGainRatio();
        long gain = cand.wastedBytes();
        if (gain == Candidate.UNKNOWN || (gain >= minGain && gain >= minRatio * cand.totalBytes())) {
            return null;
        }
        long percent = cand.totalBytes() == 0 ? 0 : Math.round(100.0 * gain / cand.totalBytes());
        return "estimated gain " + Sizes.human(gain) + " (" + percent + "% of " + Sizes.human(cand.totalBytes())
                + ") is under min_gain " + Sizes.human(minGain) + " or min_gain_ratio " + Math.round(minRatio * 100) + "%"
                + (own.minGain() != null || own.minGainRatio() != null ? " (table_conf)" : "");
    }

    /**
     * Whether an earlier run of rpcl's engine left this table prepared or part way: its work is
     * finished whatever its gain. (An interrupted REPACK left nothing to finish.)
     */
    private static boolean inFlight(Connection c, RepackTable t) throws SQLException {
        return inFlight(RepackState.find(c, t.ref().schema(), t.ref().name()));
    }

    private static boolean inFlight(Optional<RepackState.Row> row) {
        return row.isPresent() && !row.get().status().equals(RepackState.COMPLETE) && !row.get().byCoreRepack();
    }

    /** The engine for this table now; {@code staging} for prepare_repack. */
    private EngineChoice chooseEngine(Connection c, Candidate cand, boolean staging) throws SQLException {
        ConnectionConfig.Engine own = opts.customizer().engine(ref(cand));
        boolean inFlight = HelperSchema.exists(c) && inFlight(RepackState.find(c, cand.schema(), cand.name()));
        return EngineChoice.choose(new EngineChoice.Situation(own != null ? own : db.config().engine(), own != null,
                dev.rpcl.db.ServerVersion.major(c), walLevel(c), staging, inFlight, opts.customizer().rewritesValues(ref(cand)),
                EngineChoice.facts(c, cand.oid())));
    }

    /** The table as table_conf's customizer is asked about it. */
    private static dev.rpcl.catalog.TableRef ref(Candidate cand) {
        return RepackTable.of(cand.oid(), cand.schema(), cand.name(), cand.keyColumns()).ref();
    }

    private static String walLevel(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT current_setting('wal_level')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Removes what an earlier prepare_repack or interrupted run left of a table that can no longer
     * be repacked: its triggers would otherwise go on logging every write until abort_repack.
     */
    private String dropLeftovers(Connection c, RepackTable t) throws SQLException {
        Optional<RepackState.Row> row = RepackState.find(c, t.ref().schema(), t.ref().name());
        if (row.isEmpty() || row.get().status().equals(RepackState.COMPLETE) || row.get().byCoreRepack()) {
            return "";
        }
        RepackState.Row r = row.get();
        LOG.info("{}: removing the copy, triggers and log left by an earlier run (step '{}', status '{}'): the table cannot"
                + " be repacked now", t.display(), r.step().dbValue(), r.status());
        dropEarlier(c, r);
        return " (its prepared copy, triggers and log were removed)";
    }

    private boolean resumePrepared(Connection c, Candidate cand, RepackTable t, TableRepack work) throws SQLException {
        Optional<RepackState.Row> row = RepackState.find(c, t.ref().schema(), t.ref().name());
        if (row.isEmpty() || row.get().status().equals(RepackState.COMPLETE) || row.get().byCoreRepack()) {
            return false;
        }
        RepackState.Row r = row.get();
        if (r.status().equals(RepackState.PREPARED) && r.oldOid() == cand.oid() && r.fingerprint() != null
                && Cleanup.intact(c, t)) {
            LOG.info("{}: continuing from its prepared copy", t.display());
            work.resume(c, r);
            work.warnIfConfChanged(c, r);
            work.catchUp(c);
            return true;
        }
        LOG.info("{}: an interrupted repack (step '{}', status '{}') left objects behind; cleaning them up and starting over",
                t.display(), r.step().dbValue(), r.status());
        dropEarlier(c, r);
        return false;
    }

    private void dropEarlier(Connection c, RepackState.Row r) throws SQLException {
        Cleanup.drop(c, RepackTable.of(r.oldOid(), r.schema(), r.name(), r.keyColumns()), db.config().lockTimeout(),
                opts.maxSwapAttempts());
    }

    /**
     * Cleans up after a failure: on the failed session once what it still held is rolled back, or,
     * when that session is gone (a killed backend, a connection the pool closed), on a new one
     * that takes the table's advisory lock first.
     */
    private String cleanUpAfterFailure(Connection failed, RepackTable t, String msg) {
        rollBackQuietly(failed, t);
        if (usable(failed)) {
            return cleanUp(failed, t, msg);
        }
        try (Connection c = db.connect()) {
            // The failed session is gone, and its advisory lock with it: another rpcl process may
            // have taken the table since, and its objects are then that process's to handle.
            if (!Cleanup.tryLock(c, t)) {
                LOG.warn("{}: another rpcl process took the table over after this one lost its session; left to it", t.display());
                return "another rpcl process took the table over since";
            }
            try {
                return cleanUp(c, t, msg);
            } finally {
                Cleanup.unlock(c, t);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.error("{}: cleanup not possible now ({}); abort_repack or the next run cleans it up", t.display(), describe(e));
            return "rpcl's triggers, change log and copy are still there (" + describe(e) + "): run abort_repack";
        }
    }

    /** The reason of a table's result, and what the cleanup after it could not do, if anything. */
    private static String withNote(String reason, String cleanupNote) {
        return cleanupNote == null ? reason : reason + "; " + cleanupNote;
    }

    /** Whether the session that failed is still there (and so still holds the table's advisory lock). */
    private static boolean usable(Connection c) {
        try {
            return !c.isClosed() && c.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Null when everything of rpcl's is gone, else what is left and what to do about it. */
    private String cleanUp(Connection c, RepackTable t, String msg) {
        try {
            Cleanup.drop(c, t, db.config().lockTimeout(), CLEANUP_ATTEMPTS);
            if (msg == null) {
                RepackState.delete(c, t.ref().schema(), t.ref().name());
            } else {
                RepackState.status(c, t, RepackState.FAILED, msg);
            }
            return null;
        } catch (SQLException | RuntimeException e) {
            String why = describe(e);
            LOG.error("{}: cleanup incomplete: {}; abort_repack or the next run cleans it up", t.display(), why);
            try {
                RepackState.status(c, t, RepackState.FAILED, (msg == null ? "stopped" : msg) + "; " + why);
            } catch (SQLException ignored) {
                LOG.debug("{}: cannot record the failure: {}", t.display(), ignored.getMessage());
            }
            return why;
        }
    }

    private static String describe(Exception e) {
        return e instanceof SQLException || e instanceof RpclException ? message(e) : e.toString();
    }

    private static void rollBackQuietly(Connection c, RepackTable t) {
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.debug("{}: the failed connection could not be rolled back: {}", t.display(), e.getMessage());
        }
    }

    /**
     * Swapped, but the finishing at the start of this run could not drop the old table: starting
     * over would lose track of it in sch_repdrop.
     */
    private static boolean unfinishedSwap(Connection c, RepackTable t) throws SQLException {
        Optional<RepackState.Row> row = RepackState.find(c, t.ref().schema(), t.ref().name());
        return row.isPresent() && row.get().step() == Step.VALIDATE;
    }

    private List<String> blockers(Connection c, RepackTable t) throws SQLException {
        List<String> out = new ArrayList<>();
        for (Carrier carrier : opts.carriers()) {
            out.addAll(carrier.blockers(c, t.ref()));
        }
        return out;
    }

    private static TableResult result(RepackTable t, Candidate cand, TableResult.Status status, String reason, TableRepack w,
                                      long sizeAfter) {
        return new TableResult(t.display(), status, reason, cand.totalBytes(), sizeAfter, w.rowsCopied, w.rowsReplayed,
                w.lockAttempts, w.lockHeldMs, w.timings(), "rpcl");
    }

    private static List<TableResult> withFinish(List<TableResult> results, Map<String, String> warnings) {
        List<TableResult> out = new ArrayList<>();
        for (TableResult r : results) {
            String w = warnings.get(r.table());
            out.add(w == null || r.status() != TableResult.Status.REPACKED ? r : r.withSizeAfter(r.sizeAfter(), w));
        }
        return out;
    }

    static String message(Exception e) {
        return e instanceof RpclException ? e.getMessage() : Database.rootMessage(e);
    }

    private RpclException failure(String what, SQLException e) {
        return failure(db, what, e);
    }

    static RpclException failure(Database db, String what, SQLException e) {
        return RpclException.failed(what + " in database " + db.config().database() + " (connection "
                + db.config().name() + "): " + Database.rootMessage(e) + ".", e);
    }
}
