package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.catalog.Candidate;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One table rewritten by the server's REPACK (CONCURRENTLY) (PostgreSQL 19 and later), with what
 * rpcl adds around it: table_conf's storage options applied first (the rewrite uses them), one
 * REPACK at a time on the server (its other REPACKs are waited for, and said so, rather than
 * queued silently behind), lock_timeout on its lock waits with the blockers named and
 * deadlock_resolution applied to them, progress in the log and in status, a stop that cancels it,
 * and the state, sizes and timings in sch_repcloud like any table.
 *
 * <p>REPACK rolls itself back whatever ends it (an error, a cancel, a lost client): the table is
 * then as it was, with nothing left to clean up. Its lock waits are bounded by lock_timeout, and
 * a wait that times out costs the whole rewrite, which a retry repeats: so attempts are few, and
 * none starts while a session that would hold up its final lock (idle in its transaction, or
 * in a long statement) holds the table.
 */
final class CoreRepack {
    private static final Logger LOG = LoggerFactory.getLogger(CoreRepack.class);

    /** Each attempt rewrites the whole table again: three, not the swap's eight. */
    static final int ATTEMPTS = 3;

    /** How often the watcher reads the REPACK's progress and lock waits. */
    private static final long WATCH_MS = 200;

    /** The REPACKs of the server other than this session's: it runs one at a time. */
    private static final String OTHER_REPACKS = """
            SELECT p.pid, p.datname, coalesce(a.application_name, '') AS application_name,
                   coalesce((SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
                               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                              WHERE c.oid = p.relid AND p.datid = (SELECT oid FROM pg_catalog.pg_database
                                                                   WHERE datname = current_database())),
                            'relation ' || p.relid) AS rel
              FROM pg_catalog.pg_stat_progress_repack p
              LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
             WHERE p.command = 'REPACK' AND p.pid <> pg_catalog.pg_backend_pid()
             ORDER BY p.pid
            """;

    /** The REPACK's progress, and the sessions its backend waits for, if it waits for a lock. */
    private static final String WATCH = """
            SELECT p.phase, coalesce(p.heap_blks_total, 0) AS blks_total, coalesce(p.heap_blks_scanned, 0) AS blks_scanned,
                   coalesce(p.heap_tuples_scanned, 0) AS tuples,
                   coalesce(p.heap_tuples_inserted + p.heap_tuples_updated + p.heap_tuples_deleted, 0) AS changes,
                   (SELECT string_agg('pid ' || b.pid || ' (user ' || coalesce(b.usename::text, '?') || ', '
                           || coalesce(nullif(b.application_name, ''), 'no application name') || ', ' || coalesce(b.state, '?')
                           || coalesce(', transaction open ' || extract(epoch FROM now() - b.xact_start)::bigint || ' s', '')
                           || '): ' || left(regexp_replace(coalesce(b.query, ''), '\\s+', ' ', 'g'), 80), '; ' ORDER BY b.pid)
                      FROM pg_catalog.pg_stat_activity b WHERE b.pid = ANY (pg_catalog.pg_blocking_pids(?))) AS blockers
              FROM (SELECT 1) AS one
              LEFT JOIN pg_catalog.pg_stat_progress_repack p ON p.pid = ?
            """;

    private final Database db;
    private final RepackOptions opts;
    private final StopGuard guard;
    private final ConnectionConfig cfg;

    CoreRepack(Database db, RepackOptions opts, StopGuard guard) {
        this.db = db;
        this.opts = opts;
        this.guard = guard;
        this.cfg = db.config();
    }

    /** Repacks {@code t} on {@code c}, which holds the table's advisory lock; records and returns the outcome. */
    TableResult run(Connection c, Candidate cand, RepackTable t, String why) {
        long start = System.nanoTime();
        int attempts = 0;
        try {
            RepackState.start(c, t, cand.totalBytes());
            RepackState.engine(c, t, TableResult.CORE_REPACK);
            RepackState.step(c, t, Step.COPY);
            LOG.info("{}: repack started with REPACK (CONCURRENTLY) ({})", t.display(), why);
            applyStorageOptions(c, t);
            new Throttle(cfg).await(c, t, guard);
            waitForOtherRepacks(c, t);
            Database.setApplicationName(c, t.display(), "repack");
            int pid = TableRepack.backendPid(c);
            while (true) {
                attempts++;
                awaitStuckHolders(c, t);
                guard.check();
                RepackState.lockAttempts(c, t, attempts);
                Watcher watcher = new Watcher(t, pid);
                try (Statement st = c.createStatement();
                     BlockerResolver resolver = BlockerResolver.watch(db, cfg.deadlockResolution(), t.display(), pid,
                             cfg.lockTimeout());
                     Watcher closesAfterTheBeat = watcher;
                     Heartbeat beat = Heartbeat.start(java.time.Duration.ofMillis(WATCH_MS), watcher::look)) {
                    st.execute("SET lock_timeout = " + Math.max(1, cfg.lockTimeout().toMillis()));
                    String sql = "REPACK (CONCURRENTLY" + (cfg.analyzeTables() ? ", ANALYZE" : "") + ") " + t.original();
                    guard.run(st, () -> st.execute(sql));
                    break;
                } catch (SQLException e) {
                    if (!LockRetry.isLockFailure(e)) {
                        throw e;
                    }
                    String lastBlockers = watcher.blockers.get();
                    String heldBy = lastBlockers == null ? "" : "; held by " + lastBlockers;
                    if (attempts >= ATTEMPTS) {
                        throw RpclException.failed("REPACK (CONCURRENTLY) of " + t.display() + " could not take its lock on"
                                + " the table within lock_timeout (" + cfg.lockTimeout().toMillis() + " ms) in " + attempts
                                + " attempts, each of which rewrote the table again" + heldBy + "; the table is unchanged."
                                + " Retry when the table is idle, end the blocking sessions, or set deadlock_resolution");
                    }
                    LOG.warn("{}: REPACK (CONCURRENTLY) attempt {} of {} gave up waiting {} ms for its lock{}; the table is"
                            + " unchanged, and the next attempt rewrites it again", t.display(), attempts, ATTEMPTS,
                            cfg.lockTimeout().toMillis(), heldBy);
                    guard.pause(Math.max(1000, cfg.lockTimeout().toMillis()));
                } finally {
                    resetLockTimeout(c);
                }
            }
            long ms = Elapsed.msSince(start);
            long sizeAfter = Sizes.total(c, t.ref().schema(), t.ref().name());
            RepackState.timing(c, t, "repack", ms);
            RepackState.completed(c, t.ref().schema(), t.ref().name(), sizeAfter);
            LOG.info("{}: repacked with REPACK (CONCURRENTLY) in {} ms: {} -> {} (gained {}, estimated {}), {} attempt(s){}",
                    t.display(), ms, Sizes.human(cand.totalBytes()), Sizes.human(sizeAfter),
                    Sizes.human(cand.totalBytes() - sizeAfter), cand.wastedBytes() == Candidate.UNKNOWN
                            ? "without statistics" : Sizes.human(cand.wastedBytes()), attempts,
                    cfg.analyzeTables() ? ", analyzed" : "");
            return new TableResult(t.display(), TableResult.Status.REPACKED, null, cand.totalBytes(), sizeAfter, 0, 0,
                    attempts, 0, Map.of("repack", ms), TableResult.CORE_REPACK);
        } catch (TableRepack.Stopped s) {
            LOG.warn("{}: stop requested; REPACK (CONCURRENTLY) was cancelled and rolled back", t.display());
            forget(c, t);
            return outcome(t, cand, TableResult.Status.STOPPED, "stopped during REPACK (CONCURRENTLY), which rolled back;"
                    + " the table is unchanged", attempts);
        } catch (SQLException | RpclException e) {
            String msg = e instanceof RpclException ? e.getMessage()
                    : "REPACK (CONCURRENTLY) failed: " + Database.rootMessage(e) + "; the table is unchanged";
            LOG.error("{}: repack failed: {}", t.display(), msg);
            record(c, t, msg);
            return outcome(t, cand, TableResult.Status.FAILED, msg, attempts);
        } catch (RuntimeException e) {
            String msg = "REPACK (CONCURRENTLY) failed: unexpected " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + " (an rpcl bug: please report it with the log file)";
            LOG.error("{}: repack failed: {}", t.display(), msg, e);
            record(c, t, msg);
            return outcome(t, cand, TableResult.Status.FAILED, msg, attempts);
        }
    }

    private static TableResult outcome(RepackTable t, Candidate cand, TableResult.Status status, String reason, int attempts) {
        return new TableResult(t.display(), status, reason, cand.totalBytes(), 0, 0, 0, attempts, 0, Map.of(),
                TableResult.CORE_REPACK);
    }

    /**
     * table_conf's storage options (fillfactor) set on the table itself before the rewrite, which
     * packs the pages by them: ALTER TABLE ... SET is a catalog change under SHARE UPDATE
     * EXCLUSIVE, which the application's reads and writes do not conflict with.
     */
    private void applyStorageOptions(Connection c, RepackTable t) throws SQLException {
        CopyPhase.TableInfo info = CopyPhase.tableInfo(c, t, opts.customizer());
        Map<String, String> original = info.original();
        Map<String, String> wanted = info.options();
        List<String> set = new ArrayList<>();
        wanted.forEach((k, v) -> {
            if (!v.equals(original.get(k))) {
                set.add(Sql.ident(k) + " = " + Sql.literal(v));
            }
        });
        List<String> reset = original.keySet().stream().filter(k -> !wanted.containsKey(k)).map(Sql::ident).toList();
        if (set.isEmpty() && reset.isEmpty()) {
            return;
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = " + Math.max(1, cfg.lockTimeout().toMillis()));
            if (!set.isEmpty()) {
                st.execute("ALTER TABLE " + t.original() + " SET (" + String.join(", ", set) + ")");
            }
            if (!reset.isEmpty()) {
                st.execute("ALTER TABLE " + t.original() + " RESET (" + String.join(", ", reset) + ")");
            }
            LOG.info("{}: storage options set before REPACK: {}{}", t.display(), set.isEmpty() ? "" : String.join(", ", set),
                    reset.isEmpty() ? "" : (set.isEmpty() ? "" : "; ") + "reset " + String.join(", ", reset));
        } catch (SQLException e) {
            if (LockRetry.isLockFailure(e)) {
                throw RpclException.failed("Cannot set the storage options of " + t.display() + " from table_conf: a session"
                        + " running DDL or VACUUM on it kept it locked past lock_timeout" + heldBy(c, t)
                        + "; nothing was rewritten");
            }
            throw e;
        } finally {
            resetLockTimeout(c);
        }
    }

    private static String heldBy(Connection c, RepackTable t) throws SQLException {
        List<String> holders = LockHolders.of(c, t.ref().oid());
        return holders.isEmpty() ? "" : " (held by " + String.join("; ", holders) + ")";
    }

    /**
     * The server runs one REPACK (CONCURRENTLY) at a time, and a second one waits inside the
     * server, invisibly, holding its table: rpcl waits outside instead, and says for what.
     */
    private void waitForOtherRepacks(Connection c, RepackTable t) throws SQLException {
        long nextLog = 0;
        while (true) {
            List<String> others = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(OTHER_REPACKS)) {
                while (rs.next()) {
                    others.add(rs.getString("rel") + " in database " + rs.getString("datname") + " (pid " + rs.getInt("pid")
                            + (rs.getString("application_name").isEmpty() ? "" : ", " + rs.getString("application_name")) + ")");
                }
            }
            if (others.isEmpty()) {
                return;
            }
            if (System.nanoTime() >= nextLog) {
                LOG.info("{}: waiting for the REPACK of {} to end: the server runs one at a time", t.display(),
                        String.join(", ", others));
                nextLog = System.nanoTime() + Heartbeat.EVERY.toNanos();
            }
            guard.pause(500);
        }
    }

    /**
     * Before a rewrite whose final lock would wait for them: while a session idle in its
     * transaction, or one whose statement has run longer than lock_timeout, holds the table, the
     * REPACK is not started (it would rewrite the table, then queue the application behind its
     * lock request for lock_timeout, and fail). Waits for them to go, at most as long as the
     * swap's lock budget (max attempts x lock_timeout), then starts anyway.
     */
    private void awaitStuckHolders(Connection c, RepackTable t) throws SQLException {
        long budgetNs = opts.maxSwapAttempts() * cfg.lockTimeout().toNanos();
        long since = System.nanoTime();
        long nextLog = since;
        List<String> stuck;
        while (!(stuck = LockHolders.stuck(c, t.ref().oid(), cfg.lockTimeout().toMillis())).isEmpty()) {
            if (System.nanoTime() - since >= budgetNs) {
                LOG.warn("{}: starting REPACK (CONCURRENTLY) although the table is still held by {}", t.display(),
                        String.join("; ", stuck));
                return;
            }
            if (System.nanoTime() >= nextLog) {
                nextLog = System.nanoTime() + Heartbeat.EVERY.toNanos();
                LOG.info("{}: REPACK (CONCURRENTLY) waits to start: its final lock would wait for {}", t.display(),
                        String.join("; ", stuck));
            }
            guard.pause(200);
        }
    }

    private static void resetLockTimeout(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("RESET lock_timeout");
        } catch (SQLException e) {
            LOG.debug("RESET lock_timeout failed: {}", e.getMessage());
        }
    }

    private static void record(Connection c, RepackTable t, String msg) {
        try {
            RepackState.status(c, t, RepackState.FAILED, msg);
        } catch (SQLException e) {
            LOG.debug("{}: cannot record the failure: {}", t.display(), e.getMessage());
        }
    }

    /** A stopped REPACK left nothing: neither objects nor anything to resume. */
    private static void forget(Connection c, RepackTable t) {
        try {
            RepackState.delete(c, t.ref().schema(), t.ref().name());
        } catch (SQLException e) {
            LOG.debug("{}: cannot remove its state: {}", t.display(), e.getMessage());
        }
    }

    /**
     * Reads the REPACK's progress and lock waits from a session of its own: a line in the log
     * every {@link Heartbeat#EVERY}, and, when its backend waits for a lock, the sessions it
     * waits for, logged once per attempt and kept, as they are last seen, for the failure message.
     */
    private final class Watcher implements AutoCloseable {
        private final RepackTable t;
        private final int pid;
        private final AtomicReference<String> blockers = new AtomicReference<>();
        private Connection conn;
        private long nextProgress = System.nanoTime() + Heartbeat.EVERY.toNanos();
        private String loggedBlockers;

        Watcher(RepackTable t, int pid) {
            this.t = t;
            this.pid = pid;
        }

        synchronized void look() {
            try {
                if (conn == null) {
                    conn = db.connect();
                }
                try (PreparedStatement ps = conn.prepareStatement(WATCH)) {
                    ps.setInt(1, pid);
                    ps.setInt(2, pid);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        report(rs);
                    }
                }
            } catch (SQLException e) {
                LOG.debug("{}: cannot read the REPACK's progress: {}", t.display(), e.getMessage());
                closeConnection();
            }
        }

        private void report(ResultSet rs) throws SQLException {
            String waitsFor = rs.getString("blockers");
            if (waitsFor != null) {
                blockers.set(waitsFor);
                if (loggedBlockers == null) {
                    LOG.warn("{}: REPACK (CONCURRENTLY) waits for a lock on the table (at most lock_timeout, {} ms), held by {}",
                            t.display(), cfg.lockTimeout().toMillis(), waitsFor);
                    loggedBlockers = waitsFor;
                }
            }
            String phase = rs.getString("phase");
            if (phase != null && System.nanoTime() >= nextProgress) {
                nextProgress = System.nanoTime() + Heartbeat.EVERY.toNanos();
                long total = rs.getLong("blks_total");
                long scanned = rs.getLong("blks_scanned");
                LOG.info("{}: REPACK (CONCURRENTLY): {}, {} of {} heap blocks scanned ({}%), {} rows copied, {} concurrent"
                        + " changes applied", t.display(), phase, scanned, total, total == 0 ? 0 : 100 * scanned / total,
                        rs.getLong("tuples"), rs.getLong("changes"));
            }
        }

        @Override
        public synchronized void close() {
            closeConnection();
        }

        private void closeConnection() {
            if (conn != null) {
                try {
                    conn.close();
                } catch (SQLException e) {
                    LOG.debug("closing the watcher's session failed: {}", e.getMessage());
                }
                conn = null;
            }
        }
    }
}
