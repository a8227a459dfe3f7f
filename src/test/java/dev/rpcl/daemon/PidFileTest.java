package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PidFileTest {
    @TempDir
    Path dir;

    private Process sleeper;

    @AfterEach
    void stopSleeper() {
        if (sleeper != null) {
            sleeper.destroyForcibly();
        }
    }

    private long liveOtherProcess() throws Exception {
        sleeper = new ProcessBuilder("sleep", "60").start();
        return sleeper.pid();
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void fileIsNamedAsRepcloudNamedIt() {
        assertEquals(dir.resolve("prepare_nightly.pid"), new PidFile(dir, PidFile.Kind.PREPARE, "nightly").path());
        assertEquals(dir.resolve("repack_nightly.pid"), new PidFile(dir, PidFile.Kind.REPACK, "nightly").path());
        assertEquals(dir.resolve("replay_nightly.pid"), new PidFile(dir, PidFile.Kind.REPLAY, "nightly").path());
    }

    @Test
    void claimWritesThisProcessPidAndClosingRemovesIt() throws Exception {
        PidFile file = new PidFile(dir.resolve("created/on/demand"), PidFile.Kind.REPLAY, "c");
        try (PidFile.Claim claim = file.claim()) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(file.path()));
            assertEquals(Optional.of(claim.pid()), file.livePid());
        }
        assertFalse(Files.exists(file.path()));
    }

    @Test
    void liveProcessKeepsItsPidFileAndASecondStartIsRefused() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPACK, "nightly");
        long other = liveOtherProcess();
        Files.writeString(file.path(), other + "\n");

        RpclException e = assertThrows(RpclException.class, file::claim);
        assertEquals("repack_tables of configuration nightly is already running (pid " + other + ", pid file "
                + file.path() + "). Wait for it to end, or stop it with: rpcl stop_repack --config nightly", e.getMessage());
        assertEquals(other + "\n", Files.readString(file.path()));
        assertEquals(Optional.of("repack_tables (pid " + other + ")"), PidFile.anyRunning(dir, "nightly"));
    }

    @Test
    void pidFileOfADeadProcessIsStaleAndIsReplaced() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.PREPARE, "nightly");
        Files.writeString(file.path(), deadPid() + "\n");
        assertTrue(file.isStale());
        assertEquals(Optional.empty(), PidFile.anyRunning(dir, "nightly"));
        try (PidFile.Claim claim = file.claim()) {
            assertEquals(claim.pid() + "\n", Files.readString(file.path()));
        }
    }

    @Test
    void pidReusedByAProcessStartedAfterTheFileWasWrittenIsStale() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPLAY, "nightly");
        long other = liveOtherProcess();
        Files.writeString(file.path(), other + "\n");
        Files.setLastModifiedTime(file.path(), FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        assertEquals(Optional.empty(), file.livePid(), "the process is younger than the file, so it did not write it");
        assertTrue(file.isStale());
    }

    @Test
    void unreadableContentIsStale() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPLAY, "nightly");
        Files.writeString(file.path(), "not a pid");
        assertTrue(file.isStale());
        assertTrue(file.removeIfStale());
        assertFalse(Files.exists(file.path()));
    }

    @Test
    void closingAClaimLeavesAFileThatAnotherProcessNowOwns() throws Exception {
        PidFile file = new PidFile(dir, PidFile.Kind.REPLAY, "nightly");
        PidFile.Claim claim = file.claim();
        long other = liveOtherProcess();
        Files.writeString(file.path(), other + "\n");
        claim.close();
        assertEquals(other + "\n", Files.readString(file.path()));
    }
}
