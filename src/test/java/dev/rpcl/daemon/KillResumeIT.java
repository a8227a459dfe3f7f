package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the real rpcl process in the middle of the copy, of a replay, and of a swap, while
 * the application writes; then the same command again must finish the job, with the table equal
 * to its twin and nothing of rpcl's left behind. The tables are slow to write
 * (Twins.createSlow), so that each phase lasts long enough to be caught in the act.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class KillResumeIT {
    private static final Duration RUN = Duration.ofSeconds(60);

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(KillResumeIT.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void stopLeftovers() {
        RpclJar.killLeftovers(home);
    }

    private void setUp(String table, String extraConfig) {
        Twins.createSlow(db, table, 3_000);
        db.writeConfig(home, "default", "main", "tables = ['public." + table + "']\ncheck_time = \"1\"\n" + extraConfig);
        assertEquals(0, RpclJar.run(home, RUN, "create_schema").exitCode());
    }

    private long startInBackground(String... args) {
        return RpclJar.startInBackground(home, RUN, args);
    }

    /** Waits until a backend of rpcl works on {@code table} at {@code step} in the state the filter says. */
    private boolean awaitBackend(String table, String step, String filter, int seconds) throws InterruptedException {
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'repcloud - Table: public." + table
                + " [" + step + "]' AND " + filter;
        return Twins.await(() -> !db.scalar(sql).equals("0"), seconds);
    }

    private void killHard(long pid) throws Exception {
        ProcessHandle p = ProcessHandle.of(pid).orElseThrow();
        p.destroyForcibly();
        p.onExit().get(20, TimeUnit.SECONDS);
        awaitBackendsGone();
    }

    private void awaitBackendsGone() throws InterruptedException {
        // The killed process's backends end once they notice their client is gone (a statement in
        // flight first runs to its end); its advisory locks go with them.
        assertTrue(Twins.await(() -> db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'repcloud%'")
                .equals("0"), 60), "the killed process's backends did not end");
    }

    private void rerunRepackAndCheck(String table) throws Exception {
        String oid = db.scalar("SELECT 'public." + table + "'::regclass::oid");
        long pid = startInBackground("repack_tables");
        assertTrue(Twins.await(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), 120),
                () -> RpclJar.log(home, "default"));
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '"
                + table + "'"), () -> RpclJar.log(home, "default"));
        assertNothingLeftBehind(table, oid);
    }

    /** No trigger of rpcl on the table, and nothing named after the original's OID in the helper schemas. */
    private static void assertNothingLeftBehind(String table, String oldOid) {
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%' AND tgrelid = 'public."
                + table + "'::regclass"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname IN ('sch_repnew', 'sch_repdrop') AND c.relname ~ '_" + oldOid + "$'"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = 'sch_repnew' AND p.proname ~ '_" + oldOid + "$'"));
    }

    @Test
    void killedDuringTheCopyTheNextRepackStartsOverAndFinishes() throws Exception {
        setUp("k_copy", "");
        try (Twins workload = Twins.startWorkload(db, "k_copy")) {
            long pid = startInBackground("repack_tables");
            assertTrue(awaitBackend("k_copy", "copy", "state = 'active'", 60), () -> RpclJar.log(home, "default"));
            killHard(pid);
            assertEquals("copy", db.scalar("SELECT en_repack_step FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'k_copy'"));
            assertTrue(new PidFile(home.resolve("pid"), PidFile.Kind.REPACK, "default").isStale(),
                    "kill -9 leaves a stale pid file, which the next start replaces");

            rerunRepackAndCheck("k_copy");
        }
        assertEquals(0, Twins.differences(db, "k_copy"), () -> RpclJar.log(home, "default"));
    }

    @Test
    void killedDuringTheIndexBuildsTheNextRepackStartsOverAndFinishes() throws Exception {
        setUp("k_index", "");
        // An index whose every entry takes 2 ms: its build on the copy lasts seconds.
        db.execute("CREATE FUNCTION slow_key(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS"
                        + " $$BEGIN PERFORM pg_sleep(0.002); RETURN $1; END$$",
                "CREATE INDEX k_index_slow ON k_index ((slow_key(n)))");
        try (Twins workload = Twins.startWorkload(db, "k_index")) {
            long pid = startInBackground("repack_tables");
            assertTrue(awaitBackend("k_index", "create indices", "state = 'active'", 90), () -> RpclJar.log(home, "default"));
            killHard(pid);
            assertEquals("create indices", db.scalar("SELECT en_repack_step FROM sch_repcloud.t_table_repack"
                    + " WHERE v_old_table_name = 'k_index'"));

            rerunRepackAndCheck("k_index");
        }
        assertEquals(0, Twins.differences(db, "k_index"), () -> RpclJar.log(home, "default"));
        assertEquals("1", db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'k_index_slow'"));
    }

    /**
     * The backend of a killed rpcl in the middle of a long statement (an index build of ten
     * seconds here) notices within a second that its client is gone (rpcl sets
     * client_connection_check_interval) and ends, with its locks: abort_repack works at once.
     */
    @Test
    void theBackendOfAKilledRpclEndsWithinSecondsAndAbortWorksAtOnce() throws Exception {
        setUp("k_orphan", "");
        db.execute("CREATE FUNCTION slower_key(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS"
                        + " $$BEGIN PERFORM pg_sleep(0.005); RETURN $1; END$$",
                "CREATE INDEX k_orphan_slow ON k_orphan ((slower_key(n)))");
        long pid = startInBackground("repack_tables");
        assertTrue(awaitBackend("k_orphan", "create indices", "state = 'active'", 90), () -> RpclJar.log(home, "default"));
        ProcessHandle p = ProcessHandle.of(pid).orElseThrow();
        p.destroyForcibly();
        p.onExit().get(20, TimeUnit.SECONDS);
        assertTrue(Twins.await(() -> db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'repcloud%'")
                .equals("0"), 4), "the killed process's index build still runs");
        RpclJar.Result abort = RpclJar.run(home, RUN, "abort_repack");
        assertEquals(0, abort.exitCode(), abort::toString);
        assertNothingLeftBehind("k_orphan", db.scalar("SELECT 'public.k_orphan'::regclass::oid"));
    }

    @Test
    void killedDuringAReplayTheRepackContinuesFromThePreparedCopy() throws Exception {
        setUp("k_replay", "");
        try (Twins workload = Twins.startWorkload(db, "k_replay")) {
            long pid = startInBackground("prepare_repack", "--start-replay");
            assertTrue(Twins.await(() -> new PidFile(home.resolve("pid"), PidFile.Kind.REPLAY, "default").livePid().isPresent(),
                    90), () -> RpclJar.log(home, "default"));
            // Replays are short; catch one in the act if we can, else kill between two of them.
            awaitBackend("k_replay", "replay", "state = 'active' AND query NOT LIKE 'SET%'", 20);
            killHard(pid);
            assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'k_replay'"));

            rerunRepackAndCheck("k_replay");
        }
        assertEquals(0, Twins.differences(db, "k_replay"), () -> RpclJar.log(home, "default"));
    }

    @Test
    void killedWhileTheSwapWaitsForItsLockTheSwapIsRolledBackAndTheRerunFinishes() throws Exception {
        setUp("k_swap", "lock_timeout = \"5s\"");
        try (Twins workload = Twins.startWorkload(db, "k_swap");
                Connection blocker = db.ownerConnection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE k_swap IN ACCESS SHARE MODE");
            }
            long pid = startInBackground("repack_tables");
            assertTrue(awaitBackend("k_swap", "swap tables", "wait_event_type = 'Lock'", 90),
                    () -> RpclJar.log(home, "default"));
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ProcessHandle.of(pid).orElseThrow().onExit().get(20, TimeUnit.SECONDS);
            blocker.commit();
            awaitBackendsGone();
            assertEquals("public", db.scalar("SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'k_swap'"),
                    "the swap was rolled back: the original is still in place");

            rerunRepackAndCheck("k_swap");
        }
        assertEquals(0, Twins.differences(db, "k_swap"), () -> RpclJar.log(home, "default"));
    }
}
