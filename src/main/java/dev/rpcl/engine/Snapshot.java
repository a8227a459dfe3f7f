package dev.rpcl.engine;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One REPEATABLE READ transaction on an autocommit connection, handed back in autocommit and
 * READ COMMITTED whatever happens. The copy and every replay batch read the original and the
 * change log through one snapshot: that is what keeps them from losing or doubling a change.
 */
final class Snapshot {

    /** The work done inside the transaction. */
    interface Work<T> {
        T run() throws SQLException;
    }

    private Snapshot() {
    }

    static <T> T inRepeatableRead(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
    }
}
