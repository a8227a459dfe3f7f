package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The throttle: while throttle_query says the server is under strain (here a simulated replica
 * lag in a table), rpcl's work waits at its next safe point, says why in the log and in status,
 * and goes on when the strain is gone, the application writing all along.
 */
@Timeout(180)
class ThrottleTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ThrottleTest.class);
        db.execute("CREATE TABLE sim_lag (seconds int NOT NULL)", "INSERT INTO sim_lag VALUES (60)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    /** Writes the connection's settings, creates the helper schemas, and returns the settings as rpcl reads them. */
    private ConnectionConfig configure(String connectionToml) {
        db.writeConfig(home, "default", "main", connectionToml);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        return new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
    }

    /** Waits until the table's state says throttle_query holds it, failing if the run ends or the deadline passes first. */
    private static void awaitThrottled(String table, CompletableFuture<TableResult> run, long deadline) throws InterruptedException {
        String message = "SELECT coalesce(max(t_message), '') FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '"
                + table + "'";
        while (!db.scalar(message).startsWith("throttled: throttle_query returned true")) {
            assertTrue(System.nanoTime() < deadline && !run.isDone(), () -> "never throttled: " + run.join());
            Thread.sleep(50);
        }
    }

    @Test
    void aSimulatedLagHoldsTheRepackBackUntilItIsGoneAndTheDataStaysExact() throws Exception {
        db.execute(TwinWorkload.schema("thr_t", false));
        ConnectionConfig cfg = configure("""
                tables = ['public.thr_t']
                throttle_query = "SELECT seconds > 10 FROM public.sim_lag"
                max_replica_lag = "30s"
                check_time = "1"
                """);
        String oid = db.scalar("SELECT 'thr_t'::regclass::oid");
        try (TwinWorkload app = new TwinWorkload(db, "thr_t", false, 2);
             Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            app.start(2000);
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), new StopSignal());
            Candidate cand = engine.candidates().get(0);
            CompletableFuture<TableResult> run = CompletableFuture.supplyAsync(() -> engine.repack(cand));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            awaitThrottled("thr_t", run, deadline);
            Thread.sleep(2000);
            assertFalse(run.isDone(), "held back while the lag lasts");
            assertEquals("", db.scalar("SELECT coalesce(i_rows_copied::text, '') FROM sch_repcloud.t_table_repack"
                    + " WHERE v_old_table_name = 'thr_t'"),
                    "nothing copied yet");
            try (Connection c = db.ownerConnection()) {
                RunStatus.Table st = RunStatus.read(c, 0).stream().filter(x -> x.table().endsWith("thr_t")).findFirst().orElseThrow();
                assertTrue(st.message().startsWith("throttled:"), st::toString);
            }
            db.execute("UPDATE sim_lag SET seconds = 0");
            TableResult r = run.get(120, TimeUnit.SECONDS);
            assertEquals(TableResult.Status.REPACKED, r.status(), r::toString);
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
        }
        assertNotEquals(oid, db.scalar("SELECT 'thr_t'::regclass::oid"));
        db.assertEqualToTwin("thr_t");
        String log = java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
        assertTrue(log.contains("public.thr_t: throttled: throttle_query returned true; rpcl waits")
                && log.contains("public.thr_t: throttle lifted after"), log);
    }

    @Test
    void aThrottleQueryThatFailsStopsTheRunWithExit2BeforeAnythingIsTouched() {
        db.execute("CREATE TABLE thr_bad (id int PRIMARY KEY)");
        db.writeConfig(home, "default", "main", "tables = ['public.thr_bad']\nthrottle_query = \"SELECT no_such_column FROM sim_lag\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("throttle_query of connection main fails") && run.err().contains("no_such_column"),
                run::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'thr_bad'"));
    }

    /**
     * With copy_chunk set, the copy runs in chunks and the throttle holds it between two of them:
     * the copy's committed rows stop growing while throttle_query says so, and it goes on after.
     * (Each row rpcl writes to the copy waits 1 ms here, replayed ones too, so no application
     * writes: the next test runs chunks under them.)
     */
    @Test
    void aChunkedCopyIsHeldBetweenChunksByTheThrottleAndGoesOnWhenItIsLifted() throws Exception {
        db.createSlowFunctions();
        db.execute(TwinWorkload.schema("thr_c", false));
        db.execute("ALTER TABLE thr_c ADD CONSTRAINT thr_c_slow CHECK (public.slow_ok(n))",
                "CREATE TABLE copy_hold (held boolean NOT NULL)", "INSERT INTO copy_hold VALUES (false)");
        ConnectionConfig cfg = configure("""
                tables = ['public.thr_c']
                throttle_query = "SELECT held FROM public.copy_hold"
                copy_chunk = "64kB"
                check_time = "1"
                """);
        String oid = db.scalar("SELECT 'thr_c'::regclass::oid");
        String copied = "SELECT CASE WHEN to_regclass('sch_repnew.new_" + oid + "') IS NULL THEN 0 ELSE (xpath('/row/c/text()',"
                + " query_to_xml('SELECT count(*) AS c FROM sch_repnew.new_" + oid + "', false, true, '')))[1]::text::int END";
        try (TwinWorkload app = new TwinWorkload(db, "thr_c", false, 0);
             Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            app.start(6000);
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), new StopSignal());
            Candidate cand = engine.candidates().get(0);
            CompletableFuture<TableResult> run = CompletableFuture.supplyAsync(() -> engine.repack(cand));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (Integer.parseInt(db.scalar(copied)) == 0) {
                assertTrue(System.nanoTime() < deadline && !run.isDone(), () -> "no chunk was ever committed: " + run.join());
                Thread.sleep(20);
            }
            db.execute("UPDATE copy_hold SET held = true");
            awaitThrottled("thr_c", run, deadline);
            int held = Integer.parseInt(db.scalar(copied));
            Thread.sleep(1500);
            assertEquals(held, Integer.parseInt(db.scalar(copied)), "no chunk is copied while throttled");
            assertTrue(held < 6000, "held in the middle of the copy, after " + held + " rows");
            try (Connection c = db.ownerConnection()) {
                RunStatus.Table st = RunStatus.read(c, 0).stream().filter(x -> x.table().endsWith("thr_c")).findFirst().orElseThrow();
                assertEquals("copy", st.step(), st::toString);
            }
            db.execute("UPDATE copy_hold SET held = false");
            TableResult r = run.get(120, TimeUnit.SECONDS);
            assertEquals(TableResult.Status.REPACKED, r.status(), r::toString);
            assertEquals(6000L, r.rowsCopied(), r::toString);
        }
        assertNotEquals(oid, db.scalar("SELECT 'thr_c'::regclass::oid"));
        db.assertEqualToTwin("thr_c");
    }

    /**
     * A copy in chunks of one page each, under the application's writes: the chunks, each in a
     * transaction of its own that imports the copy's snapshot, hold exactly the rows one statement
     * would have, and the table comes out equal to its twin.
     */
    @Test
    void aCopyInOnePageChunksUnderConcurrentWritesLeavesTheTableEqualToItsTwin() throws Exception {
        db.execute(TwinWorkload.schema("chunked", false));
        db.writeConfig(home, "default", "main", """
                tables = ['public.chunked']
                copy_chunk = "8kB"
                check_time = "1"
                max_replay_rows = 300
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String oid = db.scalar("SELECT 'chunked'::regclass::oid");
        try (TwinWorkload app = new TwinWorkload(db, "chunked", false, 3)) {
            app.start(5000);
            Thread.sleep(300);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
        }
        assertNotEquals(oid, db.scalar("SELECT 'chunked'::regclass::oid"));
        db.assertEqualToTwin("chunked");
        String log = java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
        assertTrue(log.contains("public.chunked: copied ") && log.contains(" pages in chunks of 8.0 kB"), log);
        db.assertAmcheckClean();
    }
}
