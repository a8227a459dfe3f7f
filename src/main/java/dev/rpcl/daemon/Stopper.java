package dev.rpcl.daemon;

import dev.rpcl.RpclException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * stop_prepare, stop_repack, stop_replay, and the stops that repack_tables and abort_repack do
 * first: SIGTERM to the process of the pid file, then wait until it has exited. The process
 * itself stops at its next safe point and removes its pid file.
 */
public final class Stopper {
    private static final Logger LOG = LoggerFactory.getLogger(Stopper.class);
    private static final long POLL_MS = 50;

    /** What a stop found and did. */
    public enum State {
        /** No pid file: nothing was running. */
        NOT_RUNNING,
        /** A pid file named a dead process (e.g. after kill -9); it was removed. */
        STALE_REMOVED,
        /** The process was signalled and has exited. */
        STOPPED
    }

    /** The outcome, with the sentence the command prints. */
    public record Outcome(PidFile.Kind kind, String configName, State state, long pid, Duration waited) {
        public String message() {
            return switch (state) {
                case NOT_RUNNING -> "No " + kind.command() + " process of configuration " + configName + " is running.";
                case STALE_REMOVED -> "No " + kind.command() + " process of configuration " + configName
                        + " is running; removed the stale pid file of pid " + pid + ".";
                case STOPPED -> kind.command() + " of configuration " + configName + " (pid " + pid + ") stopped after "
                        + waited.toMillis() + " ms.";
            };
        }
    }

    private Stopper() {
    }

    /** {@link #stop(PidFile, Duration, LongConsumer)} without telling anyone about the signal. */
    public static Outcome stop(PidFile file, Duration maxWait) {
        return stop(file, maxWait, pid -> { });
    }

    /**
     * Signals the process, calls {@code signalled} with its pid, and waits up to {@code maxWait}
     * (null: as long as it takes) for it to exit. Stopping nothing is not an error: the goal,
     * nothing running, is reached.
     */
    public static Outcome stop(PidFile file, Duration maxWait, LongConsumer signalled) {
        Optional<Long> pid = file.livePid();
        if (pid.isEmpty()) {
            String stalePid = stalePid(file);
            if (file.removeIfStale()) {
                return new Outcome(file.kind(), file.configName(), State.STALE_REMOVED,
                        stalePid.matches("\\d+") ? Long.parseLong(stalePid) : -1, Duration.ZERO);
            }
            return new Outcome(file.kind(), file.configName(), State.NOT_RUNNING, -1, Duration.ZERO);
        }
        long target = pid.get();
        if (target == ProcessHandle.current().pid()) {
            throw RpclException.failed("The pid file " + file.path() + " names this very process (pid " + target
                    + "); it cannot stop itself.");
        }
        ProcessHandle handle = ProcessHandle.of(target).orElse(null);
        if (handle == null) {
            return new Outcome(file.kind(), file.configName(), State.NOT_RUNNING, target, Duration.ZERO);
        }
        long start = System.nanoTime();
        LOG.info("Stopping {} of configuration {} (pid {})", file.kind().command(), file.configName(), target);
        if (!handle.destroy() && handle.isAlive()) {
            throw RpclException.failed("Cannot signal " + file.kind().command() + " (pid " + target + "): not allowed."
                    + " Run the stop command as the user that started it.");
        }
        signalled.accept(target);
        awaitExit(file, handle, maxWait);
        // A process that exits normally removes its pid file; one that could not leaves it stale.
        file.removeIfStale();
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("{} of configuration {} (pid {}) stopped after {} ms", file.kind().command(), file.configName(),
                target, waited.toMillis());
        return new Outcome(file.kind(), file.configName(), State.STOPPED, target, waited);
    }

    /**
     * Polls rather than using onExit(): for a process that is not our child the JDK can only
     * poll too, with pauses that grow to seconds, and a stop command should return promptly.
     */
    private static void awaitExit(PidFile file, ProcessHandle handle, Duration maxWait) {
        long deadline = maxWait == null ? Long.MAX_VALUE : System.nanoTime() + maxWait.toNanos();
        try {
            while (handle.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw RpclException.failed(file.kind().command() + " (pid " + handle.pid() + ") has not stopped within "
                            + maxWait.toSeconds() + " s; it is still finishing its current step. Run the stop command"
                            + " again to keep waiting.");
                }
                Thread.sleep(POLL_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RpclException.failed("Interrupted while waiting for " + file.kind().command() + " (pid " + handle.pid()
                    + ") to stop; it was signalled and stops at its next safe point.");
        }
    }

    private static String stalePid(PidFile file) {
        try {
            return java.nio.file.Files.isRegularFile(file.path())
                    ? java.nio.file.Files.readString(file.path()).trim() : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
