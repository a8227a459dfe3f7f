package dev.rpcl.engine;

import dev.rpcl.config.ConnectionConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * check_time: whether the replay keeps up with the incoming changes well enough to try the swap.
 * A sample ends as soon as the replay has caught up (what is left fits under the swap's lock):
 * waiting out the window then would only delay the swap, since no write lands while the swap holds
 * its lock and it replays the rest there. Otherwise one rate sample misjudges on a loaded machine
 * (the backlog measured at one instant is wherever the replay happened to be in its batch, and a
 * descheduled replay looks slow), so the judgement
 * is on what replaying achieves: after the sampling window the replay goes on, bounded by another
 * window, until the backlog fits under the swap's lock. Rounds that fail still count as progress
 * when they leave less behind than every earlier round; the repack gives up only after rounds
 * without progress, and after a hard cap of rounds in any case.
 */
final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    /**
     * What is left when the swap locks the table is replayed under the lock: at most this many
     * log rows (about a tenth of a second), whatever max_replay_rows is.
     */
    static final int MAX_ROWS_UNDER_LOCK = 10_000;

    /** However the backlog shrinks, a swap gives up after this many times the rounds without progress. */
    static final int HARD_CAP_FACTOR = 3;

    /** One replay batch. */
    interface BatchSource {
        Replayer.Batch next() throws SQLException;
    }

    /** What one sample measured: the window, then the replay until the backlog fit (or a second window passed). */
    record Sample(double seconds, long arrived, long replayed, long backlogAtWindowEnd, long backlogAfterReplay) {
        String describe() {
            double s = Math.max(seconds, 0.001);
            return "changes arrive at " + Math.round(arrived / s) + " rows/s, the replay applied "
                    + Math.round(replayed / s) + " rows/s and " + backlogAfterReplay + " rows are left";
        }
    }

    private Readiness() {
    }

    /** The log rows the swap may replay under its lock. */
    static long limit(ConnectionConfig cfg) {
        return Math.min(cfg.maxReplayRows(), MAX_ROWS_UNDER_LOCK);
    }

    /**
     * Replays continuously for at most check_time while measuring the arrivals, and stops early
     * once a batch leaves no more than {@link #limit} log rows; a window that ends with more goes
     * on replaying until the backlog is within the limit or another check_time has passed.
     */
    static Sample sample(Connection c, RepackTable t, ConnectionConfig cfg, Runnable checkStop, BatchSource replay)
            throws SQLException {
        long windowNs = Math.max(1, cfg.checkTime().toNanos());
        long limit = limit(cfg);
        long firstId = ChangeLog.lastId(c, t);
        long begin = System.nanoTime();
        long replayed = 0;
        long atWindowEnd = -1;
        while (System.nanoTime() - begin < windowNs) {
            checkStop.run();
            Replayer.Batch b = replay.next();
            replayed += b.logRows();
            if (b.logRows() < cfg.maxReplayRows()) {
                long left = ChangeLog.backlog(c, t);
                if (left <= limit) {
                    atWindowEnd = left;
                    break;
                }
            }
            if (b.logRows() == 0) {
                TableRepack.sleep(Math.min(50, Math.max(1, (windowNs - (System.nanoTime() - begin)) / 1_000_000)));
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        long arrived = ChangeLog.lastId(c, t) - firstId;
        if (atWindowEnd >= 0) {
            LOG.info("{}: the replay has caught up after {} ms: {} replayed, {} log rows left (the swap replays at most {}"
                    + " under its lock)", t.display(), Math.round(seconds * 1000), replayed, atWindowEnd, limit);
            return new Sample(seconds, arrived, replayed, atWindowEnd, atWindowEnd);
        }
        atWindowEnd = ChangeLog.backlog(c, t);
        long backlog = atWindowEnd;
        long drainStart = System.nanoTime();
        while (backlog > limit && System.nanoTime() - drainStart < windowNs) {
            checkStop.run();
            Replayer.Batch b = replay.next();
            replayed += b.logRows();
            if (b.logRows() == 0) {
                // The rows counted committed after the batch took its snapshot: the next batch sees them.
                TableRepack.sleep(10);
            }
            backlog = ChangeLog.backlog(c, t);
        }
        Sample s = new Sample(seconds, arrived, replayed, atWindowEnd, backlog);
        LOG.info("{}: over {} s {} changes arrived ({} rows/s), {} replayed; {} log rows left at the end of check_time,"
                + " {} after replaying on for {} ms (the swap replays at most {} under its lock)", t.display(),
                String.format(Locale.ROOT, "%.1f", seconds), arrived, Math.round(arrived / seconds), replayed, atWindowEnd,
                backlog, Elapsed.msSince(drainStart), limit);
        return s;
    }

    /**
     * Whether a catch-up still gains on the changes: the backlog counted now is lower than the
     * count {@code span} counts before. A backlog that shrinks, however slowly, gains; one that
     * grows, or only wavers, stops gaining within a few counts.
     */
    static final class Gain {
        private final int span;
        private final ArrayDeque<Long> counts = new ArrayDeque<>();

        Gain(int span) {
            this.span = span;
        }

        boolean gaining(long backlog) {
            if (counts.size() == span && backlog >= counts.removeFirst()) {
                return false;
            }
            counts.addLast(backlog);
            return true;
        }
    }

    /** The samples of one table's swap: try the swap, sample again, or give up. Never endless. */
    static final class Rounds {
        private final int maxWithoutProgress;
        private final long limit;
        private int rounds;
        private int withoutProgress;
        private long best = Long.MAX_VALUE;

        Rounds(int maxWithoutProgress, long limit) {
            this.maxWithoutProgress = maxWithoutProgress;
            this.limit = limit;
        }

        /** The outcome of one sample. */
        enum Verdict { READY, AGAIN, GIVE_UP }

        Verdict judge(long backlogAfterReplay) {
            if (backlogAfterReplay <= limit) {
                return Verdict.READY;
            }
            rounds++;
            // Progress: clearly less left than after any earlier round, so the replay is gaining.
            if (backlogAfterReplay < best - Math.max(1, best / 10)) {
                withoutProgress = 0;
            } else {
                withoutProgress++;
            }
            best = Math.min(best, backlogAfterReplay);
            if (withoutProgress >= maxWithoutProgress || rounds >= maxWithoutProgress * HARD_CAP_FACTOR) {
                return Verdict.GIVE_UP;
            }
            return Verdict.AGAIN;
        }

        /** The samples that found the replay behind so far. */
        int rounds() {
            return rounds;
        }

        int withoutProgress() {
            return withoutProgress;
        }
    }
}
