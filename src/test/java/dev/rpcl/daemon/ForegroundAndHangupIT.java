package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * --debug keeps a process in the foreground, where Ctrl-C (SIGINT) stops it at a safe point like
 * stop_*; a background process survives the hang-up of the shell that started it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForegroundAndHangupIT {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ForegroundAndHangupIT.class);
        Twins.create(db, "fg", 1_000, null);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void stopLeftovers() {
        RpclJar.killLeftovers(home);
    }

    private PidFile replayPid() {
        return new PidFile(home.resolve("pid"), PidFile.Kind.REPLAY, "default");
    }

    /** A supervisor's or timeout(1)'s SIGTERM to a foreground run: a stop at a safe point, exit 143 as the README says. */
    @Test
    void sigtermToAForegroundRunStopsAtASafePointAndExits143() throws Exception {
        db.writeConfig(home, "default", "main", "tables = ['public.fg']");
        assertEquals(0, RpclJar.run(home, Duration.ofSeconds(60), "create_schema").exitCode());

        Process replay = RpclJar.start(home, "replay_data", "--foreground");
        assertTrue(Twins.await(() -> replayPid().livePid().equals(Optional.of(replay.pid())), 60),
                "--foreground works in this very process, which owns the pid file");
        new ProcessBuilder("kill", "-TERM", Long.toString(replay.pid())).start().waitFor();

        assertTrue(replay.waitFor(30, TimeUnit.SECONDS));
        assertEquals(143, replay.exitValue(), "128 + SIGTERM, as the README's exit codes say");
        String out = Files.readString(home.resolve("last.out"));
        assertTrue(out.contains("replay_data stopped:"), out);
        assertFalse(Files.exists(replayPid().path()));
    }

    @Test
    void ctrlCInTheForegroundStopsAtASafePointAndRemovesThePidFile() throws Exception {
        db.writeConfig(home, "default", "main", "tables = ['public.fg']");
        assertEquals(0, RpclJar.run(home, Duration.ofSeconds(60), "create_schema").exitCode());

        Process replay = RpclJar.start(home, "replay_data", "--debug");
        assertTrue(Twins.await(() -> replayPid().livePid().equals(Optional.of(replay.pid())), 60),
                "--debug works in this very process, which owns the pid file");
        new ProcessBuilder("kill", "-INT", Long.toString(replay.pid())).start().waitFor();

        assertTrue(replay.waitFor(30, TimeUnit.SECONDS));
        assertEquals(130, replay.exitValue(), "the shell's convention for a process ended by Ctrl-C");
        String out = Files.readString(home.resolve("last.out"));
        assertFalse(out.contains("started."), out);
        assertTrue(out.contains("replay_data stopped:"), out);
        assertTrue(out.contains("Replay daemon stopped (the process received a termination signal)"),
                "with --debug the log goes to the console too: " + out);
        assertFalse(Files.exists(replayPid().path()));
    }

    @Test
    void aBackgroundProcessSurvivesTheHangupOfTheShellThatStartedIt() throws Exception {
        db.writeConfig(home, "default", "main", "tables = ['public.fg']");
        assertEquals(0, RpclJar.run(home, Duration.ofSeconds(60), "create_schema").exitCode());

        // A login shell of its own (new session and process group), as a terminal would give.
        ProcessBuilder pb = new ProcessBuilder("setsid", "bash", "-c",
                "java -jar '" + RpclJar.jar() + "' replay_data; sleep 60")
                .redirectOutput(home.resolve("shell.out").toFile())
                .redirectErrorStream(true);
        pb.environment().put("REPCLOUD_HOME", home.toString());
        Process shell = pb.start();
        // The user closes the terminal once rpcl said the process started.
        assertTrue(Twins.await(() -> replayPid().livePid().isPresent()
                && shellSaid("Replay data for the prepared tables started."), 60),
                () -> RpclJar.log(home, "default"));
        long daemon = replayPid().livePid().orElseThrow();

        // The terminal closes: SIGHUP to the shell's whole process group.
        new ProcessBuilder("kill", "-HUP", "--", "-" + shell.pid()).start().waitFor();
        assertTrue(shell.waitFor(10, TimeUnit.SECONDS), "the shell got the hang-up");
        Thread.sleep(1_000);
        assertTrue(ProcessHandle.of(daemon).map(ProcessHandle::isAlive).orElse(false),
                "replay_data was detached from the shell's session and keeps running");

        RpclJar.Result stop = RpclJar.run(home, Duration.ofSeconds(60), "stop_replay");
        assertEquals(0, stop.exitCode(), stop::toString);
        assertFalse(ProcessHandle.of(daemon).map(ProcessHandle::isAlive).orElse(false));
    }

    private boolean shellSaid(String text) {
        try {
            return Files.readString(home.resolve("shell.out")).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
