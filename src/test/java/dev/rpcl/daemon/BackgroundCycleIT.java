package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cycle a DBA runs from a shell, with the real jar in background mode: prepare_repack
 * --start-replay while the application writes, stop_replay, repack_tables; and abort_repack
 * after a prepare, which must leave the database exactly as it was.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BackgroundCycleIT {
    private static final Duration RUN = Duration.ofSeconds(60);

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(BackgroundCycleIT.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void stopLeftovers() {
        RpclJar.killLeftovers(home);
    }

    private RpclJar.Result rpcl(String... args) {
        return RpclJar.run(home, RUN, args);
    }

    private PidFile pidFile(PidFile.Kind kind) {
        return new PidFile(home.resolve("pid"), kind, "default");
    }

    private void awaitExit(long pid) throws InterruptedException {
        RpclJar.awaitExit(home, pid, 120);
    }

    @Test
    void prepareWithStartReplayThenStopReplayThenRepackInTheBackgroundWhileTheApplicationWrites() throws Exception {
        Twins.create(db, "cycle", 4_000, null);
        db.writeConfig(home, "default", "main", "tables = ['public.cycle']\nlock_timeout = \"1s\"\ncheck_time = \"1\"");
        String oldOid = db.scalar("SELECT 'public.cycle'::regclass::oid");
        assertEquals(0, rpcl("create_schema").exitCode());

        try (Twins workload = Twins.startWorkload(db, "cycle")) {
            RpclJar.Result prepare = rpcl("prepare_repack", "--start-replay");
            assertEquals(0, prepare.exitCode(), prepare::toString);
            assertTrue(prepare.out().startsWith("Prepare repack process started.\n"), prepare::toString);
            long pid = RpclJar.pidOf(prepare);
            assertTrue(Files.exists(pidFile(PidFile.Kind.PREPARE).path()) || pidFile(PidFile.Kind.REPLAY).livePid().isPresent(),
                    "the parent returns once the child has written its pid file");

            assertTrue(Twins.await(() -> pidFile(PidFile.Kind.REPLAY).livePid().equals(java.util.Optional.of(pid)), 90),
                    () -> "the prepare process did not become replay_data\n" + RpclJar.log(home, "default"));
            assertTrue(Files.notExists(pidFile(PidFile.Kind.PREPARE).path()), "prepare gave up its pid file");
            assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cycle'"));

            RpclJar.Result second = rpcl("replay_data");
            assertEquals(1, second.exitCode(), second::toString);
            assertTrue(second.err().contains("replay_data of configuration default is already running (pid " + pid),
                    second::toString);

            long before = workload.transactions.get();
            assertTrue(Twins.await(() -> workload.transactions.get() > before + 100, 60), "the application keeps writing");
            String logTable = "sch_repnew.log_" + db.scalar("SELECT 'public.cycle'::regclass::oid");
            assertTrue(Twins.await(() -> Long.parseLong(db.scalar("SELECT count(*) FROM " + logTable)) < 200, 30),
                    "replay_data keeps the change log short");

            RpclJar.Result stop = rpcl("stop_replay");
            assertEquals(0, stop.exitCode(), stop::toString);
            assertTrue(stop.out().contains("replay_data of configuration default (pid " + pid + ") stopped after"),
                    stop::toString);
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            assertTrue(Files.notExists(pidFile(PidFile.Kind.REPLAY).path()));
            assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cycle'"),
                    "a stopped replay leaves the table prepared");

            RpclJar.Result repack = rpcl("repack_tables");
            assertEquals(0, repack.exitCode(), repack::toString);
            assertTrue(repack.out().startsWith("Repack tables process started.\n"), repack::toString);
            awaitExit(RpclJar.pidOf(repack));
            assertTrue(Files.notExists(pidFile(PidFile.Kind.REPACK).path()));
        }
        assertEquals(0, Twins.differences(db, "cycle"), () -> RpclJar.log(home, "default"));
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'cycle'"),
                () -> RpclJar.log(home, "default"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%'"
                + " AND tgrelid IN ('public.cycle'::regclass, " + oldOid + ")"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname IN ('sch_repnew', 'sch_repdrop') AND c.relname ~ '_" + oldOid + "$'"));
        assertTrue(RpclJar.log(home, "default").contains("1 repacked, 0 skipped"), "the detached child prints its summary into the log");
    }

    @Test
    void abortAfterPrepareLeavesTheDatabaseAsItWasAndTwiceIsHarmless() throws Exception {
        Twins.create(db, "aborted", 3_000, "CREATE VIEW aborted_v AS SELECT id, v FROM aborted WHERE n > 10");
        db.writeConfig(home, "default", "main", "tables = ['public.aborted']");
        assertEquals(0, rpcl("create_schema").exitCode());
        String schemaBefore = db.schemaDump();
        String dataBefore = db.scalar("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM aborted t");

        RpclJar.Result prepare = rpcl("prepare_repack");
        assertEquals(0, prepare.exitCode(), prepare::toString);
        awaitExit(RpclJar.pidOf(prepare));
        assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'aborted'"));
        assertTrue(Integer.parseInt(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%'")) > 0);

        RpclJar.Result abort = rpcl("abort_repack");
        assertEquals(0, abort.exitCode(), abort::toString);
        assertTrue(abort.out().contains("public.aborted") && abort.out().contains("aborted"), abort::toString);

        assertEquals(schemaBefore, db.schemaDump());
        assertEquals(dataBefore, db.scalar("SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM aborted t"));
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'aborted'"));
        String oid = db.scalar("SELECT 'public.aborted'::regclass::oid");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = 'sch_repnew' AND c.relname ~ '_" + oid + "$'"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = 'sch_repnew' AND p.proname ~ '_" + oid + "$'"));

        RpclJar.Result again = rpcl("abort_repack");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.out().contains("Connection main: nothing to abort."), again::toString);
    }

    @Test
    void repackTablesStopsTheReplayDaemonFirstAndSwapsThePreparedTable() throws Exception {
        Twins.create(db, "handover", 2_000, null);
        db.writeConfig(home, "default", "main", "tables = ['public.handover']\ncheck_time = \"1\"");
        assertEquals(0, rpcl("create_schema").exitCode());

        try (Twins workload = Twins.startWorkload(db, "handover")) {
            long replay = RpclJar.pidOf(rpcl("prepare_repack", "--start-replay"));
            assertTrue(Twins.await(() -> pidFile(PidFile.Kind.REPLAY).livePid().isPresent(), 90),
                    () -> RpclJar.log(home, "default"));

            RpclJar.Result repack = rpcl("repack_tables");
            assertEquals(0, repack.exitCode(), repack::toString);
            assertTrue(repack.out().startsWith("Requesting replay_data of configuration default (pid " + replay + ") to stop"),
                    repack::toString);
            assertTrue(repack.out().contains("replay_data of configuration default (pid " + replay + ") stopped after"),
                    repack::toString);
            assertTrue(repack.out().contains("Repack tables process started."), repack::toString);
            assertTrue(Files.notExists(pidFile(PidFile.Kind.REPLAY).path()));
            awaitExit(RpclJar.pidOf(repack));
        }
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"
                + " WHERE v_old_table_name = 'handover'"), () -> RpclJar.log(home, "default"));
        assertEquals(0, Twins.differences(db, "handover"));
    }

    @Test
    void abortRepackStopsTheRunningReplayDaemonBeforeItCleansUp() throws Exception {
        Twins.create(db, "abort_live", 2_000, null);
        db.writeConfig(home, "default", "main", "tables = ['public.abort_live']");
        assertEquals(0, rpcl("create_schema").exitCode());
        String schemaBefore = db.schemaDump();

        try (Twins workload = Twins.startWorkload(db, "abort_live")) {
            long replay = RpclJar.pidOf(rpcl("prepare_repack", "--start-replay"));
            assertTrue(Twins.await(() -> pidFile(PidFile.Kind.REPLAY).livePid().isPresent(), 90),
                    () -> RpclJar.log(home, "default"));

            RpclJar.Result abort = rpcl("abort_repack");
            assertEquals(0, abort.exitCode(), abort::toString);
            assertTrue(abort.out().contains("replay_data of configuration default (pid " + replay + ") stopped after"),
                    abort::toString);
            assertTrue(abort.out().contains("public.abort_live") && abort.out().contains("aborted"), abort::toString);
            assertTrue(Files.notExists(pidFile(PidFile.Kind.REPLAY).path()));
            awaitExit(replay);
        }
        assertEquals(schemaBefore, db.schemaDump(), "no trigger, log or copy left");
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'abort_live'"));
        assertEquals(0, Twins.differences(db, "abort_live"));
    }

    @Test
    void withoutTheHelperSchemasTheStartFailsInTheShellNotLaterInTheLog() {
        db.writeConfig(home, "default", "main", "");
        assertEquals(0, rpcl("create_schema").exitCode());
        assertEquals(0, rpcl("drop_schema").exitCode());
        try {
            RpclJar.Result r = rpcl("prepare_repack");
            assertEquals(1, r.exitCode(), r::toString);
            assertTrue(r.err().startsWith("rpcl: error: The helper schema"), r::toString);
            assertTrue(r.err().contains("Run: rpcl create_schema --connection main"), r::toString);
            assertTrue(r.out().isEmpty(), "nothing was started: " + r);
            assertTrue(Files.notExists(pidFile(PidFile.Kind.PREPARE).path()));
        } finally {
            assertEquals(0, rpcl("create_schema").exitCode());
        }
    }

    @Test
    void stopCommandsWithNothingRunningSaySoAndSucceed() {
        db.writeConfig(home, "default", "main", "");
        for (String[] c : new String[][] {{"stop_prepare", "prepare_repack"}, {"stop_repack", "repack_tables"},
                {"stop_replay", "replay_data"}}) {
            RpclJar.Result r = rpcl(c[0]);
            assertEquals(0, r.exitCode(), r::toString);
            assertEquals("No " + c[1] + " process of configuration default is running.\n", r.out());
        }
    }
}
