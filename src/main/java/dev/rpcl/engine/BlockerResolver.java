package dev.rpcl.engine;

import dev.rpcl.config.ConnectionConfig.DeadlockResolution;
import dev.rpcl.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * deadlock_resolution while the swap waits for its lock: after half the lock_timeout (at most 400 ms), the
 * sessions that block the waiting swap backend (pg_blocking_pids) are cancelled (cancel_query)
 * or terminated (kill_query), and each one is named in the log. Nothing else is touched. A
 * non-superuser can signal only sessions of its own role (or of roles it is a member of through
 * pg_signal_backend); a refusal is logged. Note that pg_cancel_backend only cancels a running
 * query: a session idle in a transaction keeps its locks and only kill_query removes it.
 */
final class BlockerResolver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockerResolver.class);

    private static final String BLOCKERS = """
            SELECT a.pid, a.usename, a.application_name, a.state, left(a.query, 200) AS query,
                   CASE WHEN ? THEN pg_catalog.pg_terminate_backend(a.pid) ELSE pg_catalog.pg_cancel_backend(a.pid) END AS signalled
              FROM pg_catalog.pg_stat_activity a
             WHERE a.pid = ANY (pg_catalog.pg_blocking_pids(?))
            """;

    private final Thread thread;
    private final AtomicBoolean done;

    private BlockerResolver(Thread thread, AtomicBoolean done) {
        this.thread = thread;
        this.done = done;
    }

    /** Starts watching {@code swapPid}; {@link #close()} stops it. Does nothing for NOTHING. */
    static BlockerResolver watch(Database db, DeadlockResolution mode, String table, int swapPid, Duration lockTimeout) {
        if (mode == DeadlockResolution.NOTHING) {
            return new BlockerResolver(null, new AtomicBoolean(true));
        }
        AtomicBoolean done = new AtomicBoolean();
        // Half the lock_timeout, but within the shorter budget a swap with linked tables waits.
        long delay = Math.max(10, Math.min(lockTimeout.toMillis() / 2, 400));
        Thread th = new Thread(() -> run(db, mode, table, swapPid, delay, done), "rpcl-blockers");
        th.setDaemon(true);
        th.start();
        return new BlockerResolver(th, done);
    }

    private static void run(Database db, DeadlockResolution mode, String table, int swapPid, long delayMs, AtomicBoolean done) {
        try {
            for (long waited = 0; waited < delayMs; waited += 10) {
                if (done.get()) {
                    return;
                }
                Thread.sleep(10);
            }
            try (Connection c = db.connect()) {
                Database.setApplicationName(c, table, "swap tables");
                boolean kill = mode == DeadlockResolution.KILL_QUERY;
                while (!done.get()) {
                    try (PreparedStatement ps = c.prepareStatement(BLOCKERS)) {
                        ps.setBoolean(1, kill);
                        ps.setInt(2, swapPid);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                if (rs.getBoolean("signalled")) {
                                    LOG.warn("{}: {} session pid {} (user {}, application '{}', {}) that blocked the swap; its query: {}",
                                            table, kill ? "terminated" : "cancelled the query of", rs.getInt("pid"),
                                            rs.getString("usename"), rs.getString("application_name"), rs.getString("state"),
                                            rs.getString("query"));
                                } else {
                                    LOG.warn("{}: could not {} session pid {} (user {}) that blocks the swap", table,
                                            kill ? "terminate" : "cancel", rs.getInt("pid"), rs.getString("usename"));
                                }
                            }
                        }
                    }
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (SQLException | RuntimeException e) {
            // Only a sign the blockers could not be handled; the swap's own lock_timeout still bounds the wait.
            LOG.warn("{}: cannot act on the sessions blocking the swap: {}", table, Database.rootMessage(e));
        }
    }

    @Override
    public void close() {
        done.set(true);
        if (thread != null) {
            // No interrupt: the thread may be inside a JDBC call; it sees the flag within 100 ms.
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
