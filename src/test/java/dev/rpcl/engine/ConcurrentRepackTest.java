package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core promise: while an application writes a table, rpcl repacks it and loses, duplicates or
 * alters no row. The application writes every change to the table and to a twin in the same
 * transaction; after several repacks under load the two must be equal row for row, the user's
 * BEFORE UPDATE trigger must have fired exactly once per updated row (never for rpcl's copy or
 * replay, and still after the swap), and the application must have seen no error.
 */
class ConcurrentRepackTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ConcurrentRepackTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    @Timeout(300)
    void repacksUnderConcurrentWritesLeaveTheTableEqualToItsTwin() throws Exception {
        repackUnderLoad("t_single", false);
    }

    @Test
    @Timeout(300)
    void repacksATableWithACompositePrimaryKeyUnderConcurrentWrites() throws Exception {
        repackUnderLoad("t_composite", true);
    }

    private void repackUnderLoad(String table, boolean composite) throws Exception {
        db.execute(TwinWorkload.schema(table, composite));
        db.writeConfig(home, "default", "main", """
                tables = ['public.%s']
                max_replay_rows = 300
                lock_timeout = "1s"
                check_time = "1"
                """.formatted(table));
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());

        long replayed = 0;
        try (TwinWorkload app = new TwinWorkload(db, table, composite, 3)) {
            app.start(3000);
            Thread.sleep(500);
            for (int round = 1; round <= 3; round++) {
                String oidBefore = db.scalar("SELECT 'public." + table + "'::regclass::oid");
                CliRun run = CliRun.run(home, "repack_tables");
                assertEquals(0, run.exitCode(), run::toString);
                assertTrue(run.out().contains("public." + table) && run.out().contains("repacked"), run::toString);
                assertNotEquals(oidBefore, db.scalar("SELECT 'public." + table + "'::regclass::oid"), "round " + round + " swapped");
                replayed += Long.parseLong(db.scalar("SELECT i_rows_replayed FROM sch_repcloud.t_table_repack"
                        + " WHERE v_old_table_name = '" + table + "'"));
                assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            }
            Thread.sleep(500);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertTrue(app.transactions.get() > 100, "the workload ran: " + app.transactions.get());
            assertEquals("0", db.scalar("SELECT count(*) FROM (SELECT * FROM " + table + " EXCEPT ALL SELECT * FROM "
                    + table + "_twin) x"), "rows in the table that are not in its twin");
            assertEquals("0", db.scalar("SELECT count(*) FROM (SELECT * FROM " + table + "_twin EXCEPT ALL SELECT * FROM "
                    + table + ") x"), "rows in the twin that are not in the table");
            assertEquals(Long.toString(app.updatedRows.get()),
                    db.scalar("SELECT count(*) FROM trigger_firings WHERE tbl = '" + table + "'"),
                    "the BEFORE UPDATE trigger fired once per row the application updated");
        }
        System.out.println(java.nio.file.Files.readString(home.resolve("logs/repack_default.log")));
        assertTrue(replayed > 0, "changes were replayed, so the test exercised the replay");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace IN "
                + "('sch_repnew'::regnamespace, 'sch_repdrop'::regnamespace)"), "nothing left in the helper schemas");
    }
}
