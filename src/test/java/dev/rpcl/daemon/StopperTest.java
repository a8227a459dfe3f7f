package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StopperTest {
    @TempDir
    Path dir;

    @Test
    void stoppingWhenNothingRunsSaysSo() {
        Stopper.Outcome o = Stopper.stop(new PidFile(dir, PidFile.Kind.REPLAY, "nightly"), Duration.ofSeconds(5));
        assertEquals(Stopper.State.NOT_RUNNING, o.state());
        assertEquals("No replay_data process of configuration nightly is running.", o.message());
    }

    @Test
    void stoppingRemovesTheStalePidFileOfAKilledProcess() throws Exception {
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        PidFile file = new PidFile(dir, PidFile.Kind.PREPARE, "nightly");
        Files.writeString(file.path(), dead.pid() + "\n");

        Stopper.Outcome o = Stopper.stop(file, Duration.ofSeconds(5));
        assertEquals(Stopper.State.STALE_REMOVED, o.state());
        assertEquals("No prepare_repack process of configuration nightly is running; removed the stale pid file of pid "
                + dead.pid() + ".", o.message());
        assertFalse(Files.exists(file.path()));
    }

    @Test
    void stopSendsSigtermAndReturnsOnlyOnceTheProcessHasExited() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            PidFile file = new PidFile(dir, PidFile.Kind.REPACK, "nightly");
            Files.writeString(file.path(), sleeper.pid() + "\n");
            AtomicLong signalled = new AtomicLong();

            Stopper.Outcome o = Stopper.stop(file, Duration.ofSeconds(20), signalled::set);

            assertEquals(Stopper.State.STOPPED, o.state());
            assertEquals(sleeper.pid(), signalled.get());
            assertFalse(sleeper.isAlive());
            assertEquals(143, sleeper.exitValue(), "SIGTERM, not SIGKILL");
            assertFalse(Files.exists(file.path()), "a pid file the process could not remove is removed as stale");
            assertTrue(o.message().startsWith("repack_tables of configuration nightly (pid " + sleeper.pid() + ") stopped after "),
                    o.message());
        } finally {
            sleeper.destroyForcibly();
        }
    }
}
