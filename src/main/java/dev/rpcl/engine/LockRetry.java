package dev.rpcl.engine;

import dev.rpcl.db.SqlStates;
import dev.rpcl.db.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The retry policy of a step that must take a lock the application's sessions may hold
 * (creating the triggers, the swap): a lock request that waits makes every later query on the
 * table queue behind it, so the first attempt is short, 50 ms, with a pause of twice the
 * attempt's wait after it. An attempt grows (twice as long, up to lock_timeout) while the
 * sessions that hold the table are running statements, or are between two statements of a
 * transaction, for less than the longer wait, which it can outlast; behind a session idle in its
 * transaction for longer, or a statement that has already run longer, waiting longer only makes
 * the application queue longer, so the attempts stay short. The step
 * gives up when its attempts have waited, in all, as long as {@code maxAttempts} attempts of
 * lock_timeout would have: as patient as before, with shorter queues. {@link #run} is the loop
 * every lock-taking step but the swap runs its transaction in (the swap replays between its
 * attempts, and has its own).
 */
final class LockRetry {
    static final long FIRST_ATTEMPT_MS = 50;

    private final Duration lockTimeout;
    private final long budgetMs;
    private int attempts;
    private int level;
    private long waitedMs;
    private SQLException lastFailure;

    LockRetry(Duration lockTimeout, int maxAttempts) {
        this.lockTimeout = lockTimeout;
        this.budgetMs = maxAttempts * lockTimeout.toMillis();
    }

    /** What a lock-taking step does in one attempt's transaction, whose lock_timeout is set. */
    interface Attempt {
        void run(Statement st) throws SQLException;
    }

    /**
     * Runs {@code attempt} in a transaction of its own on {@code c} until one commits: true when
     * one did, false when the lock waits have spent the budget. Failures other than a lock not
     * obtained (or a deadlock) are thrown, the transaction rolled back. {@code tableOid} is the
     * table whose holders tell whether a longer wait could succeed (0: always grow);
     * {@code safePoint} runs before each attempt (a stop check may throw from it);
     * {@code onRetry} hears of the first failed attempt, then of one every 10 s. The autocommit is
     * on again when it returns. An interrupt during a pause ends it with {@link TableRepack.Stopped}.
     */
    /** What hears of a failed attempt; it may read the catalog to say who holds the table. */
    interface Report {
        void failed() throws SQLException;
    }

    boolean run(Connection c, long tableOid, Runnable safePoint, Attempt attempt, Report onRetry) throws SQLException {
        long nextReport = 0;
        while (true) {
            safePoint.run();
            Duration timeout = next();
            long start = System.nanoTime();
            try {
                Transactions.run(c, st -> {
                    AppLock.settings(st, timeout.toMillis());
                    attempt.run(st);
                });
                return true;
            } catch (SQLException e) {
                if (!isLockFailure(e)) {
                    throw e;
                }
                lastFailure = e;
                boolean grow = tableOid == 0 || LockHolders.worthWaitingLonger(c, tableOid, grown().toMillis());
                if (gaveUp(Elapsed.msSince(start), grow)) {
                    return false;
                }
                // Behind an idle holder the attempts come several times a second: heard of once every 10 s.
                if (System.nanoTime() >= nextReport) {
                    nextReport = System.nanoTime() + Heartbeat.EVERY.toNanos();
                    onRetry.failed();
                }
                TableRepack.sleep(pause().toMillis());
            }
        }
    }

    /** Whether an exception is a lock not obtained in time (or a deadlock the server broke): worth another attempt. */
    static boolean isLockFailure(SQLException e) {
        return SqlStates.is(e, SqlStates.LOCK_NOT_AVAILABLE) || SqlStates.is(e, SqlStates.DEADLOCK_DETECTED);
    }

    /** How long the next attempt may wait for its lock; counts the attempt. */
    Duration next() {
        attempts++;
        return current();
    }

    /** How long the next attempt would wait if it grew. */
    Duration grown() {
        return waitAt(level + 1);
    }

    /** How long the current attempt may wait. */
    Duration current() {
        return waitAt(level);
    }

    /** 50 ms, doubled {@code level} times, up to lock_timeout. */
    private Duration waitAt(int level) {
        long ms = FIRST_ATTEMPT_MS << Math.min(20, level);
        return Duration.ofMillis(Math.max(1, Math.min(lockTimeout.toMillis(), ms)));
    }

    /**
     * Records that the current attempt gave up after waiting {@code ms}; {@code grow}: whether a
     * longer wait could succeed (the next attempt then waits twice as long; else it stays short).
     * True when the budget is spent.
     */
    boolean gaveUp(long ms, boolean grow) {
        waitedMs += ms;
        level = grow ? level + 1 : 0;
        return waitedMs >= budgetMs;
    }

    /** The pause before the next attempt: time for the blocker to finish. */
    Duration pause() {
        return Duration.ofMillis(Math.min(30_000, Math.max(100, current().toMillis() * 2)));
    }

    /** The lock failure of the last attempt {@link #run} made, or null. */
    SQLException lastFailure() {
        return lastFailure;
    }

    int attempts() {
        return attempts;
    }

    long waitedMs() {
        return waitedMs;
    }

    long budgetMs() {
        return budgetMs;
    }
}
