package dev.rpcl.daemon;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Set when the process is asked to stop (stop_* command, SIGTERM, Ctrl-C). Long work polls it
 * between batches and phases and ends at the next safe point, leaving a state that the same
 * command, run again, resumes; the engine also cancels a copy or index build in flight through
 * {@link #onRequest(Runnable)}.
 */
public final class StopSignal implements BooleanSupplier {
    private static final Logger LOG = LoggerFactory.getLogger(StopSignal.class);

    private final AtomicReference<String> reason = new AtomicReference<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Asks the work to stop; the first reason given is kept, and the listeners run once. */
    public void request(String why) {
        if (reason.compareAndSet(null, why)) {
            for (Runnable listener : listeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    LOG.warn("A stop listener failed: {}", e.toString());
                }
            }
        }
    }

    /**
     * Runs {@code listener} when a stop is requested (at once if it already was), e.g. to cancel
     * a long statement whose end is not a safe point worth waiting for. Returns a handle that
     * unregisters it.
     */
    public AutoCloseable onRequest(Runnable listener) {
        listeners.add(listener);
        if (requested()) {
            listener.run();
        }
        return () -> listeners.remove(listener);
    }

    public boolean requested() {
        return reason.get() != null;
    }

    /** Why the stop was requested, or null. */
    public String reason() {
        return reason.get();
    }

    @Override
    public boolean getAsBoolean() {
        return requested();
    }
}
