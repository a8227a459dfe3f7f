package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The work on tables left between runs: replaying prepared tables, and aborting repacks. */
final class Maintenance {
    private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);

    private final Database db;
    private final RepackOptions opts;
    private final BooleanSupplier stop;
    private final Supplier<Map<String, String>> finish;

    Maintenance(Database db, RepackOptions opts, BooleanSupplier stop, Supplier<Map<String, String>> finish) {
        this.db = db;
        this.opts = opts;
        this.stop = stop;
        this.finish = finish;
    }

    /**
     * replay_data: one batch for every prepared table that no other rpcl process is working on.
     * Returns the log rows replayed, so a daemon can sleep when there was nothing to do.
     */
    long replayPrepared() {
        long total = 0;
        try (Connection c = db.connect()) {
            String throttled = new Throttle(db.config()).reason(c);
            if (throttled != null) {
                // The daemon sleeps when nothing was replayed, and asks again.
                LOG.debug("replay held back: {}", throttled);
                return 0;
            }
            for (RepackState.Row row : RepackState.withStatus(c, RepackState.PREPARED)) {
                if (stop.getAsBoolean()) {
                    break;
                }
                RepackTable t = RepackTable.of(row.oldOid(), row.schema(), row.name(), row.keyColumns());
                // A paused table is left alone, its log growing, until rpcl resume.
                if (Control.find(c, t, Control.PAUSE).isPresent()) {
                    continue;
                }
                // Locked by the session that replays, as in RepackEngine: lost together.
                if (!Cleanup.tryLock(c, t)) {
                    continue;
                }
                try {
                    TableRepack work = new TableRepack(db, opts, stop, t);
                    work.resume(c, row);
                    total += work.replayOnce(c).logRows();
                } catch (RpclException e) {
                    // The copy cannot be swapped in any more (its capture was lost): keeping its
                    // triggers would only cost the application. The next run starts it over.
                    LOG.error("{}: {}", t.display(), e.getMessage());
                    Cleanup.drop(c, t, db.config().lockTimeout(), opts.maxSwapAttempts());
                    RepackState.status(c, t, RepackState.FAILED, e.getMessage());
                } finally {
                    Cleanup.unlock(c, t);
                }
            }
        } catch (SQLException e) {
            throw RepackEngine.failure(db, "Cannot replay the prepared tables", e);
        } catch (TableRepack.Stopped s) {
            return total;
        }
        return total;
    }

    /**
     * The tables rpcl left prepared, in progress or failed that were renamed or dropped since: the
     * configuration names them no more (or names the new name, a table rpcl knows nothing of), so
     * their triggers would log for ever. Their triggers, logs and copies are removed, and each is
     * reported. Tables swapped and not finished yet are left to finishing.
     */
    List<TableResult> cleanUpMoved() {
        List<TableResult> results = new ArrayList<>();
        try (Connection c = db.connect()) {
            if (!HelperSchema.exists(c)) {
                return results;
            }
            for (RepackState.Row row : RepackState.withStatus(c, RepackState.PREPARED, RepackState.IN_PROGRESS, RepackState.FAILED)) {
                RepackTable t = RepackTable.of(row.oldOid(), row.schema(), row.name(), row.keyColumns());
                RepackTable now = Cleanup.currentName(c, t);
                if (row.step() == Step.VALIDATE || now != null && now.display().equals(t.display()) || !Cleanup.tryLock(c, t)) {
                    continue;
                }
                if (row.byCoreRepack()) {
                    // REPACK left nothing on the table: only its state goes.
                    RepackState.delete(c, row.schema(), row.name());
                    Cleanup.unlock(c, t);
                    continue;
                }
                String reason = (now == null ? "was dropped" : "was renamed to " + now.display())
                        + " while rpcl was repacking it (its state was '" + row.status() + "')";
                try {
                    Cleanup.drop(c, t, db.config().lockTimeout(), opts.maxSwapAttempts());
                    RepackState.delete(c, row.schema(), row.name());
                    reason += "; rpcl's " + (now == null ? "" : "triggers, ") + "change log and copy were removed"
                            + (now == null ? "" : "; repack it under its new name");
                } catch (RpclException e) {
                    reason += "; " + e.getMessage();
                } finally {
                    Cleanup.unlock(c, t);
                }
                LOG.warn("{}: {}", t.display(), reason);
                results.add(TableResult.of(t.display(), TableResult.Status.FAILED, reason));
            }
        } catch (SQLException e) {
            throw RepackEngine.failure(db, "Cannot clean up after tables renamed or dropped during their repack", e);
        }
        return results;
    }

    /** abort_repack for every table rpcl left prepared, in progress or failed. */
    RepackReport abortAll() {
        List<RepackState.Row> rows;
        try (Connection c = db.connect()) {
            HelperSchema.requirePresent(c, db);
            rows = RepackState.withStatus(c, RepackState.PREPARED, RepackState.IN_PROGRESS, RepackState.FAILED);
        } catch (SQLException e) {
            throw RepackEngine.failure(db, "Cannot read the repack state", e);
        }
        List<TableResult> results = new ArrayList<>();
        for (RepackState.Row row : rows) {
            results.add(abort(row.schema(), row.name()));
        }
        return new RepackReport(db.config().name(), results);
    }

    /**
     * Drops a table's triggers, log, functions and copy and removes its state; safe to run
     * twice. A table already swapped is finished instead (its swap cannot be undone).
     */
    TableResult abort(String schema, String name) {
        String display = schema + "." + name;
        try (Connection c = db.connect()) {
            Optional<RepackState.Row> row = RepackState.find(c, schema, name);
            if (row.isEmpty()) {
                return TableResult.of(display, TableResult.Status.ABORTED, "nothing to abort");
            }
            if (row.get().step() == Step.VALIDATE) {
                Map<String, String> w = finish.get();
                return TableResult.of(display, TableResult.Status.REPACKED, w.getOrDefault(display,
                        "already swapped; its post-swap work is now finished"));
            }
            RepackTable t = RepackTable.of(row.get().oldOid(), schema, name, row.get().keyColumns());
            if (!Cleanup.tryLock(c, t)) {
                return TableResult.of(display, TableResult.Status.FAILED, Cleanup.heldElsewhere(c, t)
                        + "; stop it first (rpcl stop_repack, stop_prepare or stop_replay)");
            }
            try {
                if (row.get().byCoreRepack()) {
                    RepackState.delete(c, schema, name);
                    LOG.info("{}: aborted: REPACK (CONCURRENTLY) had left nothing on the table; its state was removed", display);
                    return TableResult.of(display, TableResult.Status.ABORTED, "REPACK (CONCURRENTLY) leaves nothing behind;"
                            + " its state was removed");
                }
                Cleanup.drop(c, t, db.config().lockTimeout(), opts.maxSwapAttempts());
                RepackState.delete(c, schema, name);
                LOG.info("{}: aborted: triggers, change log and copy dropped, state removed", display);
                return TableResult.of(display, TableResult.Status.ABORTED, null);
            } finally {
                Cleanup.unlock(c, t);
            }
        } catch (SQLException | RpclException e) {
            String msg = "Cannot abort the repack of " + display + ": " + RepackEngine.message(e);
            LOG.error(msg);
            return TableResult.of(display, TableResult.Status.FAILED, msg);
        }
    }
}
