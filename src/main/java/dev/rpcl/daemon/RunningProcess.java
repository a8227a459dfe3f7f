package dev.rpcl.daemon;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one prepare_repack, repack_tables or replay_data process, in the foreground or
 * detached: it owns the pid file for as long as it works, and turns SIGTERM (stop_*, kill) and
 * Ctrl-C into a {@link StopSignal}. The JVM runs shutdown hooks while the work goes on, and
 * exits as soon as they return, so the hook waits until the work has reached its safe point
 * and {@link #close()} has run: a swap in flight is finished or rolled back, never cut in half.
 */
public final class RunningProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunningProcess.class);

    private final PidFile pidFile;
    private final long pid = ProcessHandle.current().pid();
    private final StopSignal stop = new StopSignal();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private PidFile.Claim claim;

    private RunningProcess(PidFile pidFile) {
        this.pidFile = pidFile;
        this.hook = new Thread(this::onShutdown, "rpcl-stop");
    }

    /**
     * Installs the stop hook, then claims the pid file (or fails: already running). The hook goes
     * first because stop_* finds the process by its pid file: a SIGTERM that came after the file
     * but before the hook ended the JVM at once (the first log line can take a few hundred
     * milliseconds to set up logging), without its safe point.
     */
    public static RunningProcess start(PidFile pidFile) {
        RunningProcess p = new RunningProcess(pidFile);
        Runtime.getRuntime().addShutdownHook(p.hook);
        try {
            p.claim = pidFile.claim();
        } catch (RuntimeException e) {
            p.finished.countDown(); // a hook already waiting returns: there is no work to finish
            p.removeHook();
            throw e;
        }
        LOG.info("{} of configuration {} running as pid {} (pid file {})", pidFile.kind().command(),
                pidFile.configName(), p.pid, pidFile.path());
        return p;
    }

    public StopSignal stopSignal() {
        return stop;
    }

    public long pid() {
        return pid;
    }

    private void onShutdown() {
        if (finished.getCount() == 0) {
            return;
        }
        stop.request("the process received a termination signal");
        LOG.info("{} (pid {}) asked to stop: finishing at the next safe point", pidFile.kind().command(), pid);
        try {
            finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes the pid file and lets a pending shutdown complete. */
    @Override
    public void close() {
        try {
            claim.close();
        } finally {
            finished.countDown();
            removeHook();
        }
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running or about to: it sees the latch at zero and returns.
            LOG.debug("Shutdown in progress; {} stopped at a safe point", pidFile.kind().command());
        }
    }
}
