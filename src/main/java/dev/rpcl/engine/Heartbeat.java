package dev.rpcl.engine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A line in the log every few seconds while a long step runs (the copy, the index builds), so
 * that whoever follows the log of an hour-long copy sees it alive and how far it is. The beat
 * runs on a thread of its own and must not touch the working session.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Heartbeat.class);

    /** How often a long step says where it is. */
    static final Duration EVERY = Duration.ofSeconds(10);

    private final ScheduledExecutorService exec;

    private Heartbeat(ScheduledExecutorService exec) {
        this.exec = exec;
    }

    /** Runs {@code beat} every {@code every}, first after one interval, until closed; its failures are logged at debug level. */
    static Heartbeat start(Duration every, Runnable beat) {
        ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "rpcl-progress");
            th.setDaemon(true);
            return th;
        });
        exec.scheduleAtFixedRate(() -> {
            try {
                beat.run();
            } catch (RuntimeException e) {
                LOG.debug("progress line failed: {}", e.toString());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return new Heartbeat(exec);
    }

    @Override
    public void close() {
        exec.shutdownNow();
    }
}
