package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stop does not wait for the long statement in flight: the copy or the index builds are
 * cancelled and rolled back, the table is left as it was with nothing of rpcl's behind, and the
 * next run repacks it. In rpcl's sessions each row costs the statement a millisecond of sleep (a
 * CHECK constraint or an index expression calling pg_sleep), so its statements run for tens of
 * seconds without loading the machine, while the test's own setup runs at full speed.
 */
class StopCancelsStatementsTest {
    private static final int ROWS = 20_000;
    /** How soon after the request the run must have ended: far less than the statement's 20 s and more. */
    private static final long BOUND_MS = 5_000;

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(StopCancelsStatementsTest.class);
        db.createSlowFunctions();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private ConnectionConfig config(String table) {
        db.writeConfig(home, "default", "main", "tables = ['public." + table + "']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        return new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
    }

    @Test
    @Timeout(120)
    void aStopDuringTheCopyCancelsItAndTheNextRunRepacks() throws Exception {
        db.execute("CREATE TABLE c_copy (id int PRIMARY KEY, v text, CONSTRAINT c_copy_slow CHECK (slow_ok(id)))",
                "INSERT INTO c_copy SELECT i, md5(i::text) FROM generate_series(1, " + ROWS + ") i");
        stopDuring("c_copy", "copy");
        // Without the slow constraint the next run takes moments.
        db.execute("ALTER TABLE c_copy DROP CONSTRAINT c_copy_slow");
        repackAgain("c_copy");
    }

    @Test
    @Timeout(120)
    void aStopDuringTheIndexBuildsCancelsThemAndTheNextRunRepacks() throws Exception {
        db.execute("CREATE TABLE c_index (id int PRIMARY KEY, v text)",
                "INSERT INTO c_index SELECT i, md5(i::text) FROM generate_series(1, " + ROWS + ") i",
                "CREATE INDEX c_index_slow ON c_index (slow_key(id))");
        stopDuring("c_index", "create indices");
        db.execute("DROP INDEX c_index_slow");
        repackAgain("c_index");
    }

    private void stopDuring(String table, String step) throws Exception {
        ConnectionConfig cfg = config(table);
        String oid = db.scalar("SELECT '" + table + "'::regclass::oid");
        List<List<String>> rows = db.query("SELECT * FROM " + table + " ORDER BY id");
        StopSignal stop = new StopSignal();
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), stop);
            Candidate cand = engine.candidates().get(0);
            CompletableFuture<TableResult> run = CompletableFuture.supplyAsync(() -> engine.repack(cand));
            String active = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND application_name = "
                    + "'repcloud - Table: public." + table + " [" + step + "]'";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (db.scalar(active).equals("0")) {
                assertTrue(System.nanoTime() < deadline && !run.isDone(), () -> "step '" + step + "' never ran: " + run.join());
                Thread.sleep(50);
            }
            Thread.sleep(500);
            long requested = System.nanoTime();
            stop.request("test");
            TableResult r = run.get(60, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - requested) / 1_000_000;
            assertEquals(TableResult.Status.STOPPED, r.status(), r::toString);
            assertTrue(tookMs < BOUND_MS, "the run ended " + tookMs + " ms after the stop request");
        }
        assertEquals(oid, db.scalar("SELECT '" + table + "'::regclass::oid"), "the original is still in place");
        assertEquals(rows, db.query("SELECT * FROM " + table + " ORDER BY id"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%'"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace IN "
                + "('sch_repnew'::regnamespace, 'sch_repdrop'::regnamespace)"));
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'repcloud - %'"
                + " AND state = 'active'"), "no statement of the stopped run still runs");
    }

    private void repackAgain(String table) {
        String oid = db.scalar("SELECT '" + table + "'::regclass::oid");
        List<List<String>> rows = db.query("SELECT * FROM " + table + " ORDER BY id");
        CliRun again = CliRun.run(home, "repack_tables");
        assertEquals(0, again.exitCode(), again::toString);
        assertNotEquals(oid, db.scalar("SELECT '" + table + "'::regclass::oid"));
        assertEquals(rows, db.query("SELECT * FROM " + table + " ORDER BY id"));
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));
        db.execute("DELETE FROM sch_repcloud.t_table_repack");
    }
}
