package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * on_swap_timeout = keep_prepared: a swap whose lock budget is spent behind a session idle in its
 * transaction leaves the table prepared, never with triggers and no process: repack_tables exits
 * 3 saying so and starts replay_data, which keeps the log short; the next repack_tables, once the
 * table is free, stops it and swaps, the data equal to the twin's.
 */
@Timeout(240)
class KeepPreparedIT {
    private static final Duration RUN = Duration.ofSeconds(120);

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(KeepPreparedIT.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void stopLeftovers() {
        RpclJar.killLeftovers(home);
    }

    @Test
    void aSwapThatGivesUpLeavesTheTablePreparedWithReplayDataRunningAndTheNextRunSwapsIt() throws Exception {
        Twins.create(db, "kp_t", 3_000, "");
        db.writeConfig(home, "default", "main", """
                tables = ['public.kp_t']
                check_time = "1"
                lock_timeout = "100ms"
                on_swap_timeout = "keep_prepared"
                """);
        assertEquals(0, RpclJar.run(home, RUN, "create_schema").exitCode());
        String oid = db.scalar("SELECT 'public.kp_t'::regclass::oid");
        PidFile replay = new PidFile(home.resolve("pid"), PidFile.Kind.REPLAY, "default");
        try (Twins workload = Twins.startWorkload(db, "kp_t")) {
            try (Connection blocker = db.ownerConnection(); Statement st = blocker.createStatement()) {
                blocker.setAutoCommit(false);
                st.execute("SELECT count(*) FROM kp_t");
                RpclJar.Result first = RpclJar.run(home, RUN, "repack_tables", "--foreground");
                assertEquals(3, first.exitCode(), first::toString);
                assertTrue(first.err().contains("rpcl: left_prepared: public.kp_t") && first.err().contains("Kept prepared"),
                        first::toString);
                assertTrue(first.out().contains("Started replay_data (pid "), first::toString);
                assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));
                assertEquals(oid, db.scalar("SELECT 'public.kp_t'::regclass::oid"), "not swapped");
                assertTrue(replay.livePid().isPresent(), "replay_data runs for the prepared table");
                blocker.rollback();
            }
            String log = "SELECT count(*) FROM sch_repnew." + "\"" + db.scalar("SELECT v_log_table_name FROM sch_repcloud.t_table_repack")
                    + "\"";
            assertTrue(Twins.await(() -> Long.parseLong(db.scalar(log)) < 200, 60), "replay_data keeps the log short");
            RpclJar.Result second = RpclJar.run(home, RUN, "repack_tables", "--foreground");
            assertEquals(0, second.exitCode(), second::toString);
            assertTrue(replay.livePid().isEmpty(), "repack_tables stopped replay_data before its run");
        }
        assertNotEquals(oid, db.scalar("SELECT 'public.kp_t'::regclass::oid"), "swapped");
        assertEquals("complete", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));
        assertEquals(0, Twins.differences(db, "kp_t"));
    }
}
