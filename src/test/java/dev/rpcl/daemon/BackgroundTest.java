package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class BackgroundTest {
    @TempDir
    Path dir;

    /** A failed assertion must not leave a worker running. */
    @AfterEach
    void killLeftovers() {
        for (PidFile.Kind kind : PidFile.Kind.values()) {
            new PidFile(dir, kind, "nightly").livePid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private Background.Started launch(PidFile file, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(dir.toString(), file.kind().name(), file.configName()));
        args.addAll(List.of(extra));
        Map<String, String> env = new HashMap<>(System.getenv());
        return Background.launch(file, dir.resolve("repack_" + file.configName() + ".log"), args, env,
                SleepingWorker.class.getName());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void detachedChildRunsInItsOwnSessionOwnsItsPidFileAndStopsAtASafePoint() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPLAY, "nightly");
        Background.Started started = launch(file);

        assertFalse(started.finished());
        assertEquals(started.pid() + "\n", Files.readString(file.path()), "the child writes its own pid");
        assertEquals(Long.toString(started.pid()), sessionId(started.pid()),
                "setsid makes the child the leader of a new session, out of reach of the shell's hang-up");

        RpclException second = assertThrows(RpclException.class, () -> launch(file));
        assertTrue(second.getMessage().contains("already running (pid " + started.pid() + ","), second.getMessage());
        assertTrue(second.getMessage().contains("rpcl stop_replay --config nightly"), second.getMessage());

        Stopper.Outcome outcome = Stopper.stop(file, Duration.ofSeconds(30));
        assertEquals(Stopper.State.STOPPED, outcome.state());
        assertFalse(ProcessHandle.of(started.pid()).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(Files.exists(file.path()), "the child removes its pid file as it exits");
        assertEquals("the process received a termination signal",
                Files.readString(dir.resolve("safe-point-" + started.pid())),
                "SIGTERM waited for the work to reach its safe point");
    }

    /**
     * stop_* finds the process by its pid file, so a SIGTERM can come while the process is still
     * claiming it: the stop hook must be in place by then and wait for the safe point, not let
     * the JVM end at once. The test holds the pid file's lock, so that the child waits inside its
     * claim, and sends SIGTERM then.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aStopWhileThePidFileIsBeingClaimedStillWaitsForTheSafePoint() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPACK, "nightly");
        Process child;
        try (FileChannel ch = FileChannel.open(file.lockPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = ch.lock()) {
            child = new ProcessBuilder(childCommand("REPACK")).redirectErrorStream(true).start();
            assertTrue(Twins.await(() -> waitsForALock(child.pid()), 30), "the child waits for the pid file's lock");
            child.destroy();
            assertFalse(child.waitFor(1, TimeUnit.SECONDS), "SIGTERM waits for the work, which has not even begun");
        }
        child.waitFor(30, TimeUnit.SECONDS);
        assertEquals("the process received a termination signal", Files.readString(dir.resolve("safe-point-" + child.pid())));
        assertFalse(Files.exists(file.path()), "the child removes its pid file as it exits");
    }

    /** A blocked lock request shows in /proc/locks as a line with "->" and the waiting pid. */
    private static boolean waitsForALock(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/locks")).stream()
                    .anyMatch(l -> l.contains("->") && List.of(l.trim().split("\\s+")).contains(Long.toString(pid)));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The worker's command without setsid: it stays our child, so its exit can be awaited. */
    private List<String> childCommand(String kind) {
        List<String> cmd = new java.util.ArrayList<>(Background.command(SleepingWorker.class.getName(),
                List.of(dir.toString(), kind, "nightly")));
        if (!cmd.get(0).endsWith("java")) {
            cmd.remove(0);
        }
        return cmd;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void childThatFailsAtStartIsReportedWithItsOwnError() {
        PidFile file = new PidFile(dir, PidFile.Kind.PREPARE, "nightly");
        RpclException e = assertThrows(RpclException.class, () -> launch(file, "fail"));
        assertTrue(e.getMessage().startsWith("prepare_repack ended as soon as it started (exit code 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("the worker was told to fail"), e.getMessage());
        assertFalse(Files.exists(file.path()));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void stalePidFileOfAKilledProcessIsReplacedOnTheNextStart() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPACK, "nightly");
        Background.Started first = launch(file);
        ProcessHandle killed = ProcessHandle.of(first.pid()).orElseThrow();
        killed.destroyForcibly();
        killed.onExit().get(10, TimeUnit.SECONDS);
        assertTrue(file.isStale(), "kill -9 leaves the pid file behind, naming a dead process");

        Background.Started second = launch(file);
        assertEquals(second.pid() + "\n", Files.readString(file.path()));
        assertEquals(Stopper.State.STOPPED, Stopper.stop(file, Duration.ofSeconds(30)).state());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void twoProcessesStartingAtOnceCannotBothClaimThePidFile() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.PREPARE, "nightly");
        List<String> cmd = childCommand("PREPARE");
        Process a = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Process b = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            assertTrue(Twins.await(() -> file.livePid().isPresent() && (!a.isAlive() || !b.isAlive()), 30),
                    "one of them must have claimed the file and the other given up");
            Process winner = a.isAlive() ? a : b;
            Process loser = a.isAlive() ? b : a;
            assertTrue(winner.isAlive());
            assertEquals(winner.pid(), file.livePid().orElseThrow());
            assertEquals(1, loser.waitFor());
            String said = new String(loser.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(said.contains("prepare_repack of configuration nightly is already running (pid " + winner.pid()), said);
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
    }

    /** Field 6 of /proc/PID/stat, after the parenthesised command name. */
    private static String sessionId(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return fields[3];
    }
}
