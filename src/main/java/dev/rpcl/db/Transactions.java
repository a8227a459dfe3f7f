package dev.rpcl.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One transaction on a connection that is otherwise in autocommit: the work runs, then commits;
 * any exception rolls it back and goes on to the caller; the connection is back in autocommit
 * (and READ COMMITTED) either way. The way rpcl runs a transaction, but for the swap, which
 * classifies its own failures, and its reading ahead of the lock, which never commits. A failure to roll back (a connection gone) is attached to the
 * work's exception, never put in its place.
 */
public final class Transactions {

    /** The work of a transaction that returns something. */
    public interface Work<T> {
        T run() throws SQLException;
    }

    /** The work of a transaction that runs statements. */
    public interface Statements {
        void run(Statement st) throws SQLException;
    }

    private Transactions() {
    }

    /** Runs {@code work} in a READ COMMITTED transaction and returns its result. */
    public static <T> T call(Connection c, Work<T> work) throws SQLException {
        return inTransaction(c, false, work);
    }

    /** Runs {@code work} with a statement of its own in a READ COMMITTED transaction. */
    public static void run(Connection c, Statements work) throws SQLException {
        inTransaction(c, false, () -> {
            try (Statement st = c.createStatement()) {
                work.run(st);
            }
            return null;
        });
    }

    /**
     * Runs {@code work} in a REPEATABLE READ transaction: every query in it reads one snapshot,
     * which is what keeps the copy and each replay batch from losing or doubling a change.
     */
    public static <T> T repeatableRead(Connection c, Work<T> work) throws SQLException {
        return inTransaction(c, true, work);
    }

    private static <T> T inTransaction(Connection c, boolean repeatableRead, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        if (repeatableRead) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        }
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            throw e;
        } finally {
            if (!c.isClosed()) {
                c.setAutoCommit(true);
                if (repeatableRead) {
                    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                }
            }
        }
    }
}
