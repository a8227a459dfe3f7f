package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's phases as the daemons use them: prepare, replay, swap later, abort (twice), stop at
 * a safe point, resume after an interrupted run, TRUNCATE and DDL on the original while a repack
 * is in flight.
 */
class EngineLifecycleTest {
    /** One database per test: each test inspects the whole helper schema. */
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(EngineLifecycleTest.class);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private ConnectionConfig config(String table) {
        db.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v text)",
                "INSERT INTO " + table + " SELECT i, md5(i::text) FROM generate_series(1, 3000) i");
        db.writeConfig(home, "default", "main", "tables = ['public." + table + "']\ncheck_time = \"0\"\nmax_replay_rows = 100");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        return new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
    }

    private static Candidate only(RepackEngine engine) {
        List<Candidate> cands = engine.candidates();
        assertEquals(1, cands.size());
        return cands.get(0);
    }

    /** The log file the engine writes to (configured by the create_schema run). */
    private String log() {
        try {
            return java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    private void assertNothingLeft(String table) {
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%'"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = 'sch_repnew'::regnamespace"));
    }

    @Test
    @Timeout(120)
    void aTableWhoseReplayHasCaughtUpIsSwappedWithoutWaitingOutCheckTime() {
        db.execute("CREATE TABLE t_quick (id int PRIMARY KEY, v text)",
                "INSERT INTO t_quick SELECT i, md5(i::text) FROM generate_series(1, 3000) i",
                "DELETE FROM t_quick WHERE id % 2 = 0");
        // Ten minutes of check_time: only the early end of the sample lets this finish within the timeout.
        db.writeConfig(home, "default", "main", "tables = ['public.t_quick']\ncheck_time = \"600\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables", "--debug");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(log().contains("public.t_quick: the replay has caught up after"), "the log says why the sample ended early");
        assertEquals("1500", db.scalar("SELECT count(*) FROM t_quick"));
        // analyze_tables defaults to yes: the new table has statistics at once, as the old one may have had.
        assertTrue(Integer.parseInt(db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 't_quick'")) > 0,
                "the repacked table was analyzed");
    }

    @Test
    @Timeout(120)
    void withLogDestConsoleARepackStartedFromAShellStaysInTheForeground() throws Exception {
        db.execute("CREATE TABLE t_console (id int PRIMARY KEY, v text)",
                "INSERT INTO t_console SELECT i, md5(i::text) FROM generate_series(1, 1000) i");
        Path file = db.writeConfig(home, "default", "main", "tables = ['public.t_console']\ncheck_time = \"0\"");
        java.nio.file.Files.writeString(file, java.nio.file.Files.readString(file).replace("log_dest = \"file\"", "log_dest = \"console\""));
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.runAsFromAShell(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(!run.out().contains("process started") && run.out().contains("public.t_console  repacked"), run::toString);
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 't_console'"));
    }

    @Test
    @Timeout(300)
    void aReplayThatCannotCatchUpWithItsChangesFailsTheTableCleanlyInsteadOfReplayingForEver() throws Exception {
        db.execute("CREATE TABLE t_flood (id bigserial PRIMARY KEY, v text)",
                "INSERT INTO t_flood (v) SELECT md5(i::text) FROM generate_series(1, 2000) i");
        // One transaction per replay batch, against writers committing one row at a time as fast as they can.
        db.writeConfig(home, "default", "main", "tables = ['public.t_flood']\ncheck_time = \"1\"\nmax_replay_rows = 1\n"
                + "lock_timeout = \"1s\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String before = oid("public.t_flood");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> writers = new java.util.ArrayList<>();
        for (int n = 0; n < 3; n++) {
            Thread th = new Thread(() -> {
                try (java.sql.Connection c = db.ownerConnection(); java.sql.Statement st = c.createStatement()) {
                    while (!stop.get()) {
                        st.execute("INSERT INTO t_flood (v) VALUES ('flood')");
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            th.setDaemon(true);
            writers.add(th);
            th.start();
        }
        CliRun run;
        try {
            run = CliRun.run(home, "repack_tables");
        } finally {
            stop.set(true);
            for (Thread th : writers) {
                th.join(30_000);
            }
        }
        assertTrue(errors.isEmpty(), () -> "the application failed: " + errors);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.out().contains("cannot catch up with its changes"), run::toString);
        assertTrue(log().contains("public.t_flood: the replay is not gaining on the changes"), "the catch-up said why it stopped");
        assertEquals("failed", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 't_flood'"));
        assertEquals(before, oid("public.t_flood"), "the original is still the table");
        assertNothingLeft("t_flood");
    }

    @Test
    @Timeout(120)
    void aPreparedTableIsReplayedAndSwappedLaterEvenAfterATruncate() {
        ConnectionConfig cfg = config("t_prepared");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            TableResult prepared = engine.prepare(only(engine));
            assertEquals(TableResult.Status.PREPARED, prepared.status(), prepared::toString);
            assertEquals("3000", Long.toString(prepared.rowsCopied()));
            assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));

            db.execute("UPDATE t_prepared SET v = 'changed' WHERE id <= 500", "DELETE FROM t_prepared WHERE id > 2900");
            assertTrue(engine.replayPrepared() > 0, "replay_data replays a prepared table");
            db.execute("TRUNCATE t_prepared", "INSERT INTO t_prepared SELECT i, 'after truncate' FROM generate_series(1, 700) i",
                    "UPDATE t_prepared SET v = NULL WHERE id = 3");
            engine.replayPrepared();
            db.execute("INSERT INTO t_prepared VALUES (5000, 'late')");

            String before = oid("t_prepared");
            List<List<String>> expected = db.query("SELECT * FROM t_prepared ORDER BY id");
            RepackReport report = engine.repackTables();
            assertTrue(report.allOk(), report::toString);
            assertNotEquals(before, oid("t_prepared"));
            assertEquals(expected, db.query("SELECT * FROM t_prepared ORDER BY id"));
            assertTrue(log().contains("t_prepared: the original was truncated during the repack; reloading the copy"));
            db.execute("CREATE TABLE fresh AS SELECT * FROM t_prepared");
            long size = Long.parseLong(db.scalar("SELECT pg_relation_size('t_prepared')"));
            long fresh = Long.parseLong(db.scalar("SELECT pg_relation_size('fresh')"));
            assertTrue(size <= fresh + 8192, "the reloaded copy is compact: " + size + " bytes against " + fresh + " freshly written");
            assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));
        }
        assertNothingLeft("t_prepared");
    }

    @Test
    @Timeout(120)
    void aReplayBatchThatCollidesOnAMovedUniqueValueReplaysEverythingVisibleInstead() {
        db.execute("CREATE TABLE t_moved (id int PRIMARY KEY, u int UNIQUE, v text)",
                "INSERT INTO t_moved VALUES (1, NULL, 'b'), (2, 5, 'd')");
        db.writeConfig(home, "default", "main", "tables = ['public.t_moved']\ncheck_time = \"0\"\nmax_replay_rows = 1");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        ConnectionConfig cfg = new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            // The first batch holds only the first transaction (row 1), but reads row 1 as it is now, with
            // the value the second transaction moved to it from row 2, which the copy still has.
            db.execute("UPDATE t_moved SET v = 'b2' WHERE id = 1");
            db.execute("BEGIN; UPDATE t_moved SET u = NULL WHERE id = 2; UPDATE t_moved SET u = 5 WHERE id = 1; COMMIT");
            assertEquals(3, engine.replayPrepared());
            assertTrue(log().contains("t_moved: a replay batch collided on a unique value"));
            List<List<String>> expected = db.query("SELECT * FROM t_moved ORDER BY id");
            assertTrue(engine.repackTables().allOk());
            assertEquals(expected, db.query("SELECT * FROM t_moved ORDER BY id"));
        }
        assertNothingLeft("t_moved");
    }

    @Test
    @Timeout(120)
    void aTableAnotherRpclProcessIsWorkingOnIsSkipped() throws Exception {
        ConnectionConfig cfg = config("t_busy");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE); var other = db.ownerConnection();
             var st = other.createStatement()) {
            // What another rpcl process holds while it works on the table.
            st.execute("SELECT pg_advisory_lock((x'7270636C'::bigint << 32) | 't_busy'::regclass::oid::bigint)");
            String pid = db.scalar("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 't_busy'::regclass::oid");
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            TableResult r = engine.repack(only(engine));
            assertEquals(TableResult.Status.SKIPPED, r.status(), r::toString);
            assertTrue(r.reason().startsWith("another rpcl process is working on it (backend " + pid + " of role " + db.owner()),
                    r::reason);
        }
        assertNothingLeft("t_busy");
    }

    @Test
    @Timeout(120)
    void abortRemovesEverythingAndIsSafeToRunTwice() {
        ConnectionConfig cfg = config("t_abort");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            RepackReport first = engine.abortAll();
            assertEquals(List.of(TableResult.Status.ABORTED), first.tables().stream().map(TableResult::status).toList());
            assertNothingLeft("t_abort");
            assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
            assertTrue(engine.abortAll().tables().isEmpty());
            assertEquals(TableResult.Status.ABORTED, engine.abort("public", "t_abort").status());
            db.execute("INSERT INTO t_abort VALUES (-1, 'writable')");
        }
    }

    @Test
    @Timeout(120)
    void aStopRequestedDuringTheRepackLeavesTheTableUnchangedAndClean() {
        ConnectionConfig cfg = config("t_stop");
        AtomicInteger polls = new AtomicInteger();
        // Stop at the third safe point: after the copy has been made.
        BooleanSupplier stop = () -> polls.incrementAndGet() >= 3;
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), stop);
            String before = oid("t_stop");
            TableResult r = engine.repack(only(new RepackEngine(database, RepackOptions.defaults(), () -> false)));
            assertEquals(TableResult.Status.STOPPED, r.status(), r::toString);
            assertEquals(before, oid("t_stop"));
            assertEquals("3000", db.scalar("SELECT count(*) FROM t_stop"));
        }
        assertNothingLeft("t_stop");
    }

    @Test
    @Timeout(120)
    void aRunInterruptedMidwayIsCleanedUpAndRedoneByTheNextRun() {
        ConnectionConfig cfg = config("t_resume");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            // What a killed process leaves: a copy half way, the state 'in progress' at step 'copy'.
            db.execute("UPDATE sch_repcloud.t_table_repack SET v_status = 'in progress', en_repack_step = 'copy'");
            db.execute("UPDATE t_resume SET v = 'after the kill' WHERE id < 10");
            List<List<String>> expected = db.query("SELECT * FROM t_resume ORDER BY id");
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(expected, db.query("SELECT * FROM t_resume ORDER BY id"));
        }
        assertNothingLeft("t_resume");
    }

    @Test
    @Timeout(120)
    void aTableAlteredDuringTheRepackIsNotSwappedAndTheMessageSaysWhy() {
        ConnectionConfig cfg = config("t_altered");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            db.execute("ALTER TABLE t_altered ADD COLUMN extra int DEFAULT 7");
            String before = oid("t_altered");
            RepackReport report = engine.repackTables();
            TableResult r = report.tables().get(0);
            assertEquals(TableResult.Status.FAILED, r.status(), r::toString);
            assertTrue(r.reason().contains("changed while it was being repacked"), r.reason());
            assertEquals(before, oid("t_altered"));
            assertEquals("7", db.scalar("SELECT extra FROM t_altered WHERE id = 1"));
        }
        assertNothingLeft("t_altered");
    }

    @Test
    @Timeout(120)
    void anObjectTheSwapCannotDropAroundStopsTheSwapNamedAndTheTableStaysAsItWas() {
        ConnectionConfig cfg = config("late");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            // Without the carriers that refuse such tables before the copy: this test is about
            // the swap's own last line of defence, the DROP it tries under the lock.
            RepackOptions defaults = RepackOptions.defaults();
            RepackOptions swapOnly = new RepackOptions(defaults.customizer(),
                    defaults.carriers().stream().filter(k -> !(k instanceof dev.rpcl.catalog.UnhandledDependents)
                            && !(k instanceof dev.rpcl.catalog.RowTypeCarrier)).toList(),
                    defaults.maxSwapAttempts(), defaults.maxCatchUpRounds());
            RepackEngine engine = new RepackEngine(database, swapOnly, () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            String before = oid("public.late");
            db.execute("CREATE TABLE public.late_history (at int, r public.late)", "INSERT INTO public.late_history SELECT 1, l FROM public.late l");
            RepackReport report = engine.repackTables();
            TableResult result = report.tables().get(0);
            assertTrue(!result.ok() && result.reason().contains("late_history"), result::toString);
            assertEquals(before, oid("public.late"), "the original is still the table");
            assertEquals("3000", db.scalar("SELECT count(*) FROM public.late_history"));
            assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace"));
        }
    }

    /**
     * The trigger functions run as the table's owner with the writer's search_path (a SET clause
     * would cost every write): a writer with no rights on the helper schemas, whose path puts its
     * own schema before pg_catalog with an equality operator, a txid_current() and a table named
     * like a transition table, is still logged exactly, and none of its objects runs as the owner.
     */
    @Test
    @Timeout(120)
    void aWriterWhoseSearchPathShadowsOperatorsAndTablesIsLoggedExactlyAndRunsNothingAsTheOwner() throws Exception {
        ConnectionConfig cfg = config("t_path");
        String app = db.owner() + "_app";
        db.executeAsAdmin("CREATE ROLE " + app + " NOLOGIN", "CREATE SCHEMA shadow AUTHORIZATION " + app,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON public.t_path TO " + app);
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults(), () -> false);
            assertEquals(TableResult.Status.PREPARED, engine.prepare(only(engine)).status());
            try (java.sql.Connection c = db.adminConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("SET ROLE " + app);
                st.execute("""
                        GRANT USAGE ON SCHEMA shadow TO PUBLIC;
                        CREATE TABLE shadow.calls (who text, what text);
                        GRANT SELECT, INSERT ON shadow.calls TO PUBLIC;
                        CREATE TABLE shadow.new_rows (id int);
                        CREATE TABLE shadow.old_rows (id int);
                        INSERT INTO shadow.new_rows VALUES (999999);
                        INSERT INTO shadow.old_rows VALUES (999998);
                        CREATE FUNCTION shadow.eq(int, int) RETURNS boolean LANGUAGE plpgsql AS $$
                        BEGIN INSERT INTO shadow.calls VALUES (current_user, '='); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
                        CREATE OPERATOR shadow.= (LEFTARG = int, RIGHTARG = int, FUNCTION = shadow.eq, HASHES, MERGES);
                        CREATE FUNCTION shadow.txid_current() RETURNS bigint LANGUAGE plpgsql AS $$
                        BEGIN INSERT INTO shadow.calls VALUES (current_user, 'txid_current'); RETURN 0; END $$;
                        """);
                st.execute("SET search_path = shadow, pg_catalog, public");
                st.execute("UPDATE t_path SET v = 'by app' WHERE id <= 300");
                st.execute("UPDATE t_path SET id = id + 10000 WHERE id BETWEEN 301 AND 400");
                st.execute("DELETE FROM t_path WHERE id > 2900");
                st.execute("INSERT INTO t_path SELECT i, 'app insert' FROM generate_series(5001, 5100) i");
            }
            List<List<String>> expected = db.query("SELECT * FROM public.t_path ORDER BY id");
            RepackReport report = engine.repackTables();
            assertTrue(report.allOk(), report::toString);
            assertEquals(expected, db.query("SELECT * FROM public.t_path ORDER BY id"));
            assertEquals("0", db.scalar("SELECT count(*) FROM shadow.calls"), "nothing of the writer's schema ran");
        } finally {
            db.executeAsAdmin("DROP SCHEMA shadow CASCADE", "DROP OWNED BY " + app, "DROP ROLE " + app);
        }
        assertNothingLeft("t_path");
    }
}
