package dev.rpcl.engine;

import java.sql.SQLException;
import java.sql.Statement;

/**
 * The settings of a short transaction of rpcl's that locks one of the application's tables
 * (creating or dropping the triggers, the swap, dropping the old table's foreign keys): it waits
 * at most {@code lockTimeoutMs} for the lock, and its commit does not wait for the WAL flush,
 * since the lock is held until the commit returns (milliseconds here, more on network storage).
 * Nothing is lost by that: any later durable commit, the application's first write to the table
 * included, flushes this one first, and a crash before that leaves things as they were before
 * the transaction, which rpcl resumes or cleans up like any interrupted run.
 */
final class AppLock {
    private AppLock() {
    }

    static void settings(Statement st, long lockTimeoutMs) throws SQLException {
        st.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeoutMs) + "; SET LOCAL synchronous_commit = off");
    }
}
