package dev.rpcl.daemon;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * replay_data's loop: round after round, one replay batch for the prepared tables of every
 * connection, so that the change logs stay short until repack_tables swaps the tables. It
 * sleeps when a round found nothing to replay, survives errors (logged, then retried with a
 * growing pause: a database restart must not end the daemon), and ends only when stopped.
 */
public final class ReplayDaemon {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayDaemon.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    private static final long POLL_MS = 100;

    /** One connection's replay: replays a batch per prepared table, returns the log rows replayed. */
    public record Source(String connection, LongSupplier replayRound) {
    }

    /** What the daemon did, for the log and the command. */
    public record Summary(long rounds, long rowsReplayed, long errors) {
    }

    /** How often the daemon says what it did. */
    static final Duration REPORT_EVERY = Duration.ofSeconds(60);

    private final List<Source> sources;
    private final StopSignal stop;
    private final Duration idle;

    public ReplayDaemon(List<Source> sources, StopSignal stop, Duration idle) {
        this.sources = List.copyOf(sources);
        this.stop = stop;
        this.idle = idle;
    }

    public Summary run() {
        long rounds = 0;
        long rows = 0;
        long errors = 0;
        Duration backoff = idle;
        LOG.info("Replay daemon started for connection(s) {}", sources.stream().map(Source::connection).toList());
        // Every minute, what was replayed since, or that there is nothing to replay: never silent for long.
        long nextReport = System.nanoTime() + REPORT_EVERY.toNanos();
        long sinceReport = 0;
        while (!stop.requested()) {
            long replayed = 0;
            boolean failed = false;
            for (Source s : sources) {
                if (stop.requested()) {
                    break;
                }
                try {
                    long n = s.replayRound().getAsLong();
                    replayed += n;
                    if (n > 0) {
                        LOG.debug("Connection {}: replayed {} log rows", s.connection(), n);
                    }
                } catch (RuntimeException e) {
                    failed = true;
                    errors++;
                    LOG.error("Connection {}: replay failed: {}; retrying in {} s", s.connection(), e.getMessage(),
                            backoff.toSeconds(), e);
                }
            }
            rounds++;
            rows += replayed;
            sinceReport += replayed;
            if (System.nanoTime() >= nextReport) {
                if (sinceReport > 0) {
                    LOG.info("Replay daemon: {} log rows replayed in the last {} s, {} since it started", sinceReport,
                            REPORT_EVERY.toSeconds(), rows);
                } else {
                    LOG.info("Replay daemon: nothing to replay in the last {} s (no prepared table has changes; prepare_repack"
                            + " prepares tables, stop_replay stops this daemon)", REPORT_EVERY.toSeconds());
                }
                sinceReport = 0;
                nextReport = System.nanoTime() + REPORT_EVERY.toNanos();
            }
            if (failed) {
                pause(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } else {
                backoff = idle;
                if (replayed == 0) {
                    pause(idle);
                }
            }
        }
        LOG.info("Replay daemon stopped ({}): {} rounds, {} log rows replayed, {} errors", stop.reason(), rounds, rows,
                errors);
        return new Summary(rounds, rows, errors);
    }

    /** Sleeps, waking early when a stop is requested. */
    private void pause(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        try {
            while (!stop.requested() && System.nanoTime() < until) {
                Thread.sleep(Math.min(POLL_MS, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop.request("interrupted");
        }
    }
}
