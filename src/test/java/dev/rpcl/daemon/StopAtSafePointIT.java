package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
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
 * stop_prepare and stop_repack against the real background process in the middle of its work:
 * it ends at the next safe point, leaves the table as it was with nothing of rpcl's behind, and
 * removes its pid file; the next run does the whole job.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StopAtSafePointIT {
    private static final Duration RUN = Duration.ofSeconds(90);

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(StopAtSafePointIT.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void stopLeftovers() {
        RpclJar.killLeftovers(home);
    }

    private String setUp(String table, String extraConfig) {
        Twins.createSlow(db, table, 3_000);
        db.writeConfig(home, "default", "main", "tables = ['public." + table + "']\ncheck_time = \"1\"\n" + extraConfig);
        assertEquals(0, RpclJar.run(home, RUN, "create_schema").exitCode());
        return db.scalar("SELECT 'public." + table + "'::regclass::oid");
    }

    private long start(String command) {
        return RpclJar.startInBackground(home, RUN, command);
    }

    private boolean awaitBackend(String table, String step, String filter) throws InterruptedException {
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'repcloud - Table: public." + table
                + " [" + step + "]' AND " + filter;
        return Twins.await(() -> !db.scalar(sql).equals("0"), 60);
    }

    private void assertUntouched(String table, String oid, PidFile.Kind kind) {
        assertEquals(oid, db.scalar("SELECT 'public." + table + "'::regclass::oid"), "the original table is still in place");
        assertLeftNothing(oid);
        assertFalse(Files.exists(new PidFile(home.resolve("pid"), kind, "default").path()));
    }

    /** No trigger of rpcl left on the original (by OID), nothing named after that OID in the helper schemas. */
    private void assertLeftNothing(String oid) {
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%' AND tgrelid = "
                + oid), () -> RpclJar.log(home, "default"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname IN ('sch_repnew', 'sch_repdrop') AND c.relname ~ '_" + oid + "$'"),
                () -> RpclJar.log(home, "default"));
    }

    private void repackAndCompare(String table) throws InterruptedException {
        long pid = start("repack_tables");
        assertTrue(Twins.await(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), 120));
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '"
                + table + "'"), () -> RpclJar.log(home, "default"));
        assertEquals(0, Twins.differences(db, table));
    }

    @Test
    void stopPrepareDuringTheCopyEndsAfterItAndLeavesTheTableAsItWas() throws Exception {
        String oid = setUp("s_copy", "");
        try (Twins workload = Twins.startWorkload(db, "s_copy")) {
            long pid = start("prepare_repack");
            assertTrue(awaitBackend("s_copy", "copy", "state = 'active'"), () -> RpclJar.log(home, "default"));

            RpclJar.Result stop = RpclJar.run(home, RUN, "stop_prepare");
            assertEquals(0, stop.exitCode(), stop::toString);
            assertTrue(stop.out().contains("Requesting prepare_repack of configuration default (pid " + pid + ") to stop"),
                    stop::toString);
            assertTrue(stop.out().contains("prepare_repack of configuration default (pid " + pid + ") stopped after"),
                    stop::toString);
            assertUntouched("s_copy", oid, PidFile.Kind.PREPARE);

            repackAndCompare("s_copy");
        }
        assertEquals(0, Twins.differences(db, "s_copy"));
    }

    @Test
    void stopRepackWhileTheSwapWaitsForItsLockRollsTheSwapBack() throws Exception {
        String oid = setUp("s_swap", "lock_timeout = \"2s\"");
        try (Twins workload = Twins.startWorkload(db, "s_swap"); Connection blocker = db.ownerConnection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE s_swap IN ACCESS SHARE MODE");
            }
            long pid = start("repack_tables");
            assertTrue(awaitBackend("s_swap", "swap tables", "wait_event_type = 'Lock'"), () -> RpclJar.log(home, "default"));

            Process stop = RpclJar.start(home, "stop_repack");
            assertTrue(Twins.await(() -> RpclJar.log(home, "default").contains("asked to stop"), 30));
            // The swap sees the stop, in the pause between two lock attempts or when the attempt in
            // flight gives up; only then does the application's lock end, so that removing the
            // triggers (which needs the table for a moment) can proceed.
            int asked = RpclJar.log(home, "default").indexOf("asked to stop");
            assertTrue(Twins.await(() -> RpclJar.log(home, "default").indexOf("gave up", asked) > 0
                    || RpclJar.log(home, "default").indexOf("stop requested; cleaning up", asked) > 0, 30),
                    () -> RpclJar.log(home, "default"));
            blocker.commit();
            assertTrue(stop.waitFor(60, TimeUnit.SECONDS), () -> RpclJar.log(home, "default"));
            String out = Files.readString(home.resolve("last.out"));
            assertEquals(0, stop.exitValue(), out);
            assertTrue(out.contains("repack_tables of configuration default (pid " + pid + ") stopped after"), out);
            assertUntouched("s_swap", oid, PidFile.Kind.REPACK);

            repackAndCompare("s_swap");
        }
        assertEquals(0, Twins.differences(db, "s_swap"));
    }
}
