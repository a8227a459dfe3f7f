package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run steered from another shell while the application writes the table and a twin in the
 * same transactions: paused, it waits at a safe point and goes on when resumed; with its swap
 * postponed, it catches up and keeps replaying without taking its lock until released. The
 * table equals its twin afterwards.
 */
@Timeout(180)
class ControlTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(ControlTest.class);
        db.execute(TwinWorkload.schema("acct", false));
        db.writeConfig(home, "default", "main", "tables = ['public.acct']\ncheck_time = \"1\"\nlock_timeout = \"1s\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private String oid() {
        return db.scalar("SELECT 'public.acct'::regclass::oid");
    }

    private String log() throws Exception {
        Path file = home.resolve("logs/repack_default.log");
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private void awaitLog(String text) throws Exception {
        long until = System.nanoTime() + 60_000_000_000L;
        while (!log().contains(text) && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertTrue(log().contains(text), () -> "the log never said \"" + text + "\"");
    }

    private void assertTwinsEqual() {
        db.assertEqualToTwin("acct");
    }

    @Test
    void aPausedRunWaitsAtASafePointAndAResumedOneFinishesWithTheTableEqualToItsTwin() throws Exception {
        try (TwinWorkload app = new TwinWorkload(db, "acct", false, 2)) {
            app.start(3000);
            CliRun pause = CliRun.run(home, "pause", "--table", "public.acct", "--reason", "month-end close");
            assertEquals(0, pause.exitCode(), pause::toString);
            String before = oid();
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            awaitLog("public.acct: paused at step 'create table': pause requested by ");
            Thread.sleep(1500);
            assertEquals(before, oid(), "not swapped while paused");
            CliRun status = CliRun.run(home, "status");
            assertTrue(status.out().contains("in force: pause requested by") && status.out().contains("month-end close"),
                    status::toString);
            assertEquals(0, CliRun.run(home, "resume", "--table", "public.acct").exitCode());
            CliRun done = run.get(120, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
            assertTrue(log().contains("public.acct: resumed after a pause of"), "the log says it went on");
            assertNotEquals(before, oid());
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
        }
        assertTwinsEqual();
    }

    @Test
    void aPostponedSwapKeepsReplayingWithoutTheLockUntilReleased() throws Exception {
        try (TwinWorkload app = new TwinWorkload(db, "acct", false, 2)) {
            app.start(3000);
            assertEquals(0, CliRun.run(home, "postpone_swap").exitCode());
            String before = oid();
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            awaitLog("public.acct: caught up; the swap waits: postpone swap requested by ");
            long replayed = Long.parseLong(db.scalar("SELECT i_rows_replayed FROM sch_repcloud.t_table_repack"));
            Thread.sleep(2500);
            assertEquals(before, oid(), "not swapped while postponed");
            assertTrue(Long.parseLong(db.scalar("SELECT i_rows_replayed FROM sch_repcloud.t_table_repack")) > replayed,
                    "it kept replaying");
            assertEquals("0", db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'"
                    + " AND relation = 'public.acct'::regclass"), "no lock is held or asked for");
            assertEquals(0, CliRun.run(home, "release_swap").exitCode());
            CliRun done = run.get(120, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
            assertTrue(log().contains("public.acct: swap released after"), "the log says it was released");
            assertNotEquals(before, oid());
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
        }
        assertTwinsEqual();
    }
}
