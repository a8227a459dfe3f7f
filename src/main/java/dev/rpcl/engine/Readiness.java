package dev.rpcl.engine;

import dev.rpcl.config.ConnectionConfig;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** check_time: whether the replay keeps up with the incoming changes well enough to try the swap. */
final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    /**
     * What is left when the swap locks the table is replayed under the lock: at most this many
     * log rows (about a tenth of a second), whatever max_replay_rows is.
     */
    static final int MAX_ROWS_UNDER_LOCK = 10_000;

    /** One replay batch. */
    interface BatchSource {
        Replayer.Batch next() throws SQLException;
    }

    private Readiness() {
    }

    /**
     * Samples for check_time while replaying continuously. The replay keeps up when less than a
     * batch (and at most {@link #MAX_ROWS_UNDER_LOCK}) is left at the end, and either it was not
     * busy all the time (it ran out of work) or the backlog grew by less than a tenth of what
     * arrived. Returns why not, or null when the swap may be attempted.
     */
    static String sample(Connection c, RepackTable t, ConnectionConfig cfg, Runnable checkStop, BatchSource replay)
            throws SQLException {
        long windowNs = Math.max(1, cfg.checkTime().toNanos());
        long firstId = ChangeLog.lastId(c, t);
        long backlogStart = ChangeLog.backlog(c, t);
        long begin = System.nanoTime();
        long replayed = 0;
        long busyNs = 0;
        while (System.nanoTime() - begin < windowNs) {
            checkStop.run();
            long s = System.nanoTime();
            Replayer.Batch b = replay.next();
            if (b.logRows() > 0) {
                replayed += b.logRows();
                busyNs += System.nanoTime() - s;
            } else {
                TableRepack.sleep(Math.min(50, Math.max(1, (windowNs - (System.nanoTime() - begin)) / 1_000_000)));
            }
        }
        long elapsedNs = System.nanoTime() - begin;
        double seconds = elapsedNs / 1e9;
        long arrived = ChangeLog.lastId(c, t) - firstId;
        long backlog = ChangeLog.backlog(c, t);
        double busy = (double) busyNs / elapsedNs;
        LOG.info("{}: over {} s {} changes arrived ({} rows/s), {} replayed, replay busy {}% of the time, {} log rows left",
                t.display(), String.format(java.util.Locale.ROOT, "%.1f", seconds), arrived, Math.round(arrived / seconds),
                replayed, Math.round(busy * 100), backlog);
        if (backlog <= Math.min(cfg.maxReplayRows(), MAX_ROWS_UNDER_LOCK) && (busy < 0.9 || backlog - backlogStart <= arrived / 10)) {
            return null;
        }
        return "changes arrive at " + Math.round(arrived / seconds) + " rows/s, the replay applied "
                + Math.round(replayed / seconds) + " rows/s and " + backlog + " rows are left";
    }
}
