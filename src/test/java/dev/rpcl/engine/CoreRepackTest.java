package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.config.TableConf;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL 19 and later: engine = auto rewrites with the server's REPACK (CONCURRENTLY) what it
 * can do whole, and with rpcl's engine the rest; around REPACK, table_conf's fillfactor, a lock
 * wait bounded by lock_timeout that names its blocker, and a stop that cancels it.
 */
@Timeout(180)
class CoreRepackTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(CoreRepackTest.class);
        assumeTrue(db.major() >= EngineChoice.REPACK_MAJOR, "REPACK (CONCURRENTLY) is PostgreSQL 19's");
        db.createSlowFunctions();
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    private String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    private String filenode(String table) {
        return db.scalar("SELECT pg_relation_filenode('" + table + "')");
    }

    private void bloated(String table) {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v text)",
                "INSERT INTO " + table + " SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 20000) g",
                "DELETE FROM " + table + " WHERE id % 10 < 6", "ANALYZE " + table);
    }

    @Test
    void autoRepacksAPlainTableWithRepackKeepingItsOidAndEveryRowUnderWritesAndAJsonRuleTableWithRpclsEngine()
            throws Exception {
        db.execute(TwinWorkload.schema("cr_plain", false));
        db.execute("CREATE TABLE cr_docs (id int PRIMARY KEY, doc jsonb)",
                "INSERT INTO cr_docs SELECT g, jsonb_build_object('a', g, 'gone', null) FROM generate_series(1, 2000) g");
        db.writeConfig(home, "default", "main", """
                tables = ['public.cr_plain', 'public.cr_docs']
                engine = "auto"
                lock_timeout = "1s"
                check_time = "1"
                """);
        Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(home.resolve("config/table_conf/default_main.toml"), "[public.cr_docs]\ndoc.cleanup_nulls = true\n");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());

        CliRun plan = CliRun.run(home, "plan");
        assertTrue(plan.out().lines().anyMatch(l -> l.contains("public.cr_plain") && l.contains("REPACK (CONCURRENTLY)")), plan::toString);
        assertTrue(plan.out().lines().anyMatch(l -> l.contains("public.cr_docs") && l.contains(" rpcl ")
                && l.contains("JSON")), plan::toString);

        String plainOid = oid("cr_plain");
        String docsOid = oid("cr_docs");
        try (TwinWorkload app = new TwinWorkload(db, "cr_plain", false, 3)) {
            app.start(3000);
            Thread.sleep(500);
            for (int round = 1; round <= 2; round++) {
                String node = filenode("cr_plain");
                CliRun run = CliRun.run(home, "repack_tables");
                assertEquals(0, run.exitCode(), run::toString);
                assertTrue(run.out().lines().anyMatch(l -> l.contains("public.cr_plain") && l.contains("by REPACK")), run::toString);
                assertNotEquals(node, filenode("cr_plain"), "round " + round + " rewrote the table");
                assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            }
            Thread.sleep(500);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertTrue(app.transactions.get() > 50, "the workload ran: " + app.transactions.get());
        }
        assertEquals(plainOid, oid("cr_plain"), "REPACK keeps the table's OID");
        db.assertEqualToTwin("cr_plain");
        assertNotEquals(docsOid, oid("cr_docs"), "rpcl's engine swapped the JSON rule's table in");
        assertEquals("0", db.scalar("SELECT count(*) FROM cr_docs WHERE doc ? 'gone'"), "the cleanup ran");
        assertEquals("repack|complete", db.scalar("SELECT j_definition ->> 'engine' || '|' || v_status"
                + " FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cr_plain'"));
        assertTrue(Long.parseLong(db.scalar("SELECT (j_timings ->> 'repack')::bigint FROM sch_repcloud.t_table_repack"
                + " WHERE v_old_table_name = 'cr_plain'")) >= 0);
        db.assertAmcheckClean();
    }

    @Test
    void aFillfactorFromTableConfIsSetOnTheTableAndPacksItsPages() throws Exception {
        bloated("cr_ff");
        db.writeConfig(home, "default", "main", "tables = ['public.cr_ff']\nengine = \"repack\"");
        Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(home.resolve("config/table_conf/default_main.toml"), "[storage.public.cr_ff]\nfillfactor = 50\n");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String node = filenode("cr_ff");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(node, filenode("cr_ff"));
        assertEquals("{fillfactor=50}", db.scalar("SELECT reloptions::text FROM pg_class WHERE oid = 'cr_ff'::regclass"));
        // 8000 rows of about 140 bytes: some 55 per full page, half as many at fillfactor 50.
        long rowsPerPage = Long.parseLong(db.scalar("SELECT count(*) / pg_relation_size('cr_ff') * 8192 FROM cr_ff"));
        assertTrue(rowsPerPage < 35, "pages are filled to half: " + rowsPerPage + " rows per page");
    }

    @Test
    void aRepackBlockedByASessionHoldingTheTableGivesUpWithinLockTimeoutsAndNamesIt() throws Exception {
        bloated("cr_blocked");
        db.writeConfig(home, "default", "main", "tables = ['public.cr_blocked']\nengine = \"auto\"\nlock_timeout = \"300ms\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String node = filenode("cr_blocked");
        List<List<String>> rows = db.query("SELECT * FROM cr_blocked ORDER BY id");
        try (Connection holder = db.ownerConnection(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            String pid;
            try (var rs = st.executeQuery("SELECT pg_backend_pid() FROM cr_blocked LIMIT 1")) {
                rs.next();
                pid = rs.getString(1);
            }
            long start = System.nanoTime();
            CliRun run = CliRun.run(home, "repack_tables");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            holder.rollback();
            assertEquals(3, run.exitCode(), run::toString);
            assertTrue(run.err().contains("public.cr_blocked") && run.err().contains("lock_timeout (300 ms)")
                    && run.err().contains("3 attempts") && run.err().contains("pid " + pid), run::toString);
            // Three attempts of a copy and a 300 ms wait, and two pauses of 1 s: far under 30 s.
            assertTrue(tookMs < 30_000, "gave up after " + tookMs + " ms");
        }
        assertEquals(node, filenode("cr_blocked"), "the table is as it was");
        assertEquals(rows, db.query("SELECT * FROM cr_blocked ORDER BY id"));
        assertEquals("failed", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cr_blocked'"));
        CliRun abort = CliRun.run(home, "abort_repack");
        assertEquals(0, abort.exitCode(), abort::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cr_blocked'"));
    }

    @Test
    void statusShowsARunningRepacksProgressAndAStopCancelsItLeavingTheTableAsItWas() throws Exception {
        // An index whose expression sleeps 1 ms a row in rpcl's sessions: REPACK's index build takes 20 s.
        bloated("cr_stop");
        db.execute("INSERT INTO cr_stop SELECT g, 'x' FROM generate_series(20001, 32000) g",
                "CREATE INDEX cr_stop_slow ON cr_stop (slow_key(id))");
        db.writeConfig(home, "default", "main", "tables = ['public.cr_stop']\nengine = \"auto\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String node = filenode("cr_stop");
        List<List<String>> rows = db.query("SELECT * FROM cr_stop ORDER BY id");
        RpclHome rh = new RpclHome(home).initialise();
        ConnectionConfig cfg = new ConfigLoader(rh).load("default").select("main").get(0);
        StopSignal stop = new StopSignal();
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackOptions options = RepackOptions.defaults()
                    .withCustomizer(new TableConfCustomizer(TableConf.load(rh, "default", "main")));
            RepackEngine engine = new RepackEngine(database, options, stop);
            Candidate cand = engine.candidates().get(0);
            CompletableFuture<TableResult> run = CompletableFuture.supplyAsync(() -> engine.repack(cand));
            String running = "SELECT count(*) FROM pg_stat_progress_repack WHERE relid = 'cr_stop'::regclass";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (db.scalar(running).equals("0")) {
                assertTrue(System.nanoTime() < deadline && !run.isDone(), () -> "REPACK never ran: " + run.join());
                Thread.sleep(50);
            }
            Thread.sleep(1000);
            try (Connection c = db.ownerConnection()) {
                RunStatus.Table status = RunStatus.read(c, 0).stream().filter(t -> t.table().equals("public.cr_stop"))
                        .findFirst().orElseThrow();
                assertEquals("repack", status.engine(), status::toString);
                assertTrue(status.inFlight() && status.repackProgress() != null
                        && status.repackProgress().contains("rows copied"), status::toString);
            }
            long requested = System.nanoTime();
            stop.request("test");
            TableResult r = run.get(60, TimeUnit.SECONDS);
            long tookMs = (System.nanoTime() - requested) / 1_000_000;
            assertEquals(TableResult.Status.STOPPED, r.status(), r::toString);
            assertTrue(r.reason().contains("unchanged"), r::toString);
            assertTrue(tookMs < 5_000, "the run ended " + tookMs + " ms after the stop request");
        }
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_stat_progress_repack"), "no REPACK runs any more");
        assertEquals(node, filenode("cr_stop"), "the table is as it was");
        assertEquals(rows, db.query("SELECT * FROM cr_stop ORDER BY id"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_depend WHERE refobjid = 'cr_stop'::regclass AND deptype = 'a'"
                + " AND classid = 'pg_class'::regclass AND objid IN (SELECT oid FROM pg_class WHERE relkind = 'r')"),
                "no transient table of REPACK is left");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_replication_slots"), "no slot is left");
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cr_stop'"),
                "nothing to resume or abort");
        db.assertAmcheckClean();
    }
}
