package dev.rpcl.engine;

import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.SqlStates;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stop request as the engine sees it: polled at the safe points, and, for a {@link StopSignal},
 * able to cancel the long statements in flight (the copy, index builds, replay batches), whose
 * transactions then roll back, so a stop does not wait minutes or hours for them. The swap is
 * never cancelled: its waits are bounded by lock_timeout and it must commit whole or not at all.
 */
final class StopGuard {
    private static final Logger LOG = LoggerFactory.getLogger(StopGuard.class);
    private static final long RECANCEL_MS = 100;

    /** What a cancellable statement runs. */
    interface SqlCall<T> {
        T run() throws SQLException;
    }

    private final BooleanSupplier requested;
    private final boolean cancels;
    /** The statements running a cancellable call; guarded by itself. */
    private final List<Statement> running = new ArrayList<>();
    private final AtomicBoolean cancelLoop = new AtomicBoolean();

    private StopGuard(BooleanSupplier requested, boolean cancels) {
        this.requested = requested;
        this.cancels = cancels;
    }

    /** Polled at safe points only: statements in flight run to their end. */
    static StopGuard polling(BooleanSupplier requested) {
        return new StopGuard(requested, false);
    }

    /** Polled at safe points, and the statements in flight are cancelled as soon as the stop is requested. */
    static StopGuard cancelling(StopSignal signal) {
        StopGuard guard = new StopGuard(signal::requested, true);
        signal.onRequest(guard::stopRequested);
        return guard;
    }

    boolean requested() {
        return requested.getAsBoolean();
    }

    BooleanSupplier asSupplier() {
        return requested;
    }

    /** Throws {@link TableRepack.Stopped} when a stop was requested. */
    void check() {
        if (requested.getAsBoolean()) {
            throw new TableRepack.Stopped();
        }
    }

    /** Sleeps {@code ms}, seeing a stop within 100 ms ({@link TableRepack.Stopped}). */
    void pause(long ms) {
        long until = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < until) {
            check();
            TableRepack.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
        }
    }

    /**
     * Runs {@code call}, which executes on {@code st}, so that a stop cancels it; a statement
     * cancelled by the stop ends in {@link TableRepack.Stopped}. The caller rolls back its
     * transaction as for any failure.
     */
    <T> T run(Statement st, SqlCall<T> call) throws SQLException {
        if (!cancels) {
            return call.run();
        }
        synchronized (running) {
            running.add(st);
        }
        try {
            // Checked after registering: a stop requested from here on finds the statement.
            check();
            return call.run();
        } catch (SQLException e) {
            throw stoppedOr(e);
        } finally {
            synchronized (running) {
                running.remove(st);
            }
        }
    }

    /** {@link TableRepack.Stopped} when {@code e} is a cancel caused by the stop, else {@code e}. */
    SQLException stoppedOr(SQLException e) {
        if (SqlStates.is(e, SqlStates.QUERY_CANCELED) && requested.getAsBoolean()) {
            throw new TableRepack.Stopped();
        }
        return e;
    }

    private void stopRequested() {
        if (!cancelLoop.compareAndSet(false, true)) {
            return;
        }
        Thread th = new Thread(this::cancelUntilEnded, "rpcl-cancel");
        th.setDaemon(true);
        th.start();
    }

    /**
     * The driver cancels a statement only while it executes, so a cancel that raced with its
     * start is lost: statements still registered are cancelled again until their call has ended.
     * Harmless for others: the driver waits for a cancel in progress before the statement
     * returns, so it never reaches the connection's next statement.
     */
    private void cancelUntilEnded() {
        try {
            boolean logged = false;
            while (true) {
                synchronized (running) {
                    if (running.isEmpty()) {
                        return;
                    }
                    if (!logged) {
                        LOG.info("Stop requested: cancelling {} statement(s) in flight; their transactions roll back",
                                running.size());
                        logged = true;
                    }
                    for (Statement st : running) {
                        try {
                            st.cancel();
                        } catch (SQLException e) {
                            LOG.debug("Cancelling a statement for the stop failed: {}", e.getMessage());
                        }
                    }
                }
                Thread.sleep(RECANCEL_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            cancelLoop.set(false);
        }
    }
}
