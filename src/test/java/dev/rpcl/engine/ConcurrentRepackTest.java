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

    /**
     * Keys checked at commit (DEFERRABLE INITIALLY DEFERRED) identify rows like any other: rpcl
     * reads committed rows, where they are unique. The unique value the workload moves between
     * rows meets the replay's fallback at once, since the replay checks deferred constraints at
     * each statement.
     */
    @Test
    @Timeout(300)
    void repacksATableWhoseKeysAreDeferrableUnderConcurrentWrites() throws Exception {
        db.execute(TwinWorkload.schema("t_deferred", false));
        db.execute("ALTER TABLE t_deferred DROP CONSTRAINT t_deferred_pkey,"
                        + " ADD CONSTRAINT t_deferred_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED",
                "ALTER TABLE t_deferred DROP CONSTRAINT t_deferred_u_key,"
                        + " ADD CONSTRAINT t_deferred_u_key UNIQUE (u) DEFERRABLE INITIALLY DEFERRED");
        repackUnderLoad("t_deferred", "t_deferred", false, true);
        assertEquals("true|true", db.scalar("SELECT bool_and(condeferrable)::text || '|' || bool_and(condeferred)::text"
                + " FROM pg_constraint WHERE conrelid = 't_deferred'::regclass AND contype IN ('p', 'u')"));
    }

    @Test
    @Timeout(300)
    void repackingTablesLinkedByAForeignKeyUnderLoadGivesTheApplicationNoError() throws Exception {
        db.execute("CREATE TABLE fk_parent (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)",
                "CREATE TABLE fk_child (id bigserial PRIMARY KEY, pid int NOT NULL REFERENCES fk_parent (id), v text)",
                "INSERT INTO fk_parent SELECT i FROM generate_series(1, 2000) i",
                "INSERT INTO fk_child (pid, v) SELECT 1 + i % 2000, 'c' FROM generate_series(1, 4000) i");
        db.writeConfig(home, "default", "main", """
                tables = ['public.fk_parent', 'public.fk_child']
                lock_timeout = "500ms"
                check_time = "1"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicLong txns = new java.util.concurrent.atomic.AtomicLong();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        for (int n = 0; n < 3; n++) {
            boolean parentFirst = n % 2 == 0;
            Thread th = new Thread(() -> {
                java.util.Random rnd = new java.util.Random();
                try (java.sql.Connection c = db.ownerConnection(); java.sql.Statement st = c.createStatement()) {
                    c.setAutoCommit(false);
                    while (!stop.get()) {
                        int pid = 1 + rnd.nextInt(2000);
                        String parent = "UPDATE fk_parent SET v = v + 1 WHERE id = " + pid;
                        String child = "INSERT INTO fk_child (pid, v) VALUES (" + pid + ", 'new')";
                        st.execute(parentFirst ? parent : child);
                        st.execute(parentFirst ? child : parent);
                        st.execute("DELETE FROM fk_child WHERE id = (SELECT min(id) FROM fk_child WHERE pid = " + pid + ")");
                        c.commit();
                        txns.incrementAndGet();
                        // An application with some idle time between its transactions, as real ones have.
                        Thread.sleep(rnd.nextInt(5));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        try {
            Thread.sleep(300);
            for (int round = 1; round <= 2; round++) {
                CliRun run = CliRun.run(home, "repack_tables");
                assertEquals(0, run.exitCode(), run::toString);
                assertTrue(errors.isEmpty(), () -> "the application failed: " + errors);
            }
        } finally {
            stop.set(true);
            for (Thread th : threads) {
                th.join(30_000);
            }
        }
        assertTrue(errors.isEmpty(), () -> "the application failed: " + errors);
        assertTrue(txns.get() > 50, "the workload ran: " + txns.get());
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'fk_child'::regclass AND NOT convalidated"));
        assertEquals("0", db.scalar("SELECT count(*) FROM fk_child c WHERE NOT EXISTS (SELECT 1 FROM fk_parent p WHERE p.id = c.pid)"));
        assertEquals("2000", db.scalar("SELECT count(*) FROM fk_parent"));
    }

    @Test
    @Timeout(300)
    void repacksAPartitionWrittenThroughItsPartitionedTableUnderConcurrentWrites() throws Exception {
        db.execute(TwinWorkload.partitionedSchema("t_parted"));
        repackUnderLoad("t_parted", "t_parted_p0", false, false);
    }

    private void repackUnderLoad(String table, boolean composite) throws Exception {
        db.execute(TwinWorkload.schema(table, composite));
        repackUnderLoad(table, table, composite, true);
    }

    private void repackUnderLoad(String table, String repacked, boolean composite, boolean countsTriggers) throws Exception {
        db.writeConfig(home, "default", "main", """
                tables = ['public.%s']
                max_replay_rows = 300
                lock_timeout = "1s"
                check_time = "1"
                """.formatted(repacked));
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());

        long replayed = 0;
        try (TwinWorkload app = new TwinWorkload(db, table, composite, 3)) {
            app.start(3000);
            Thread.sleep(500);
            for (int round = 1; round <= 3; round++) {
                String oidBefore = db.scalar("SELECT 'public." + repacked + "'::regclass::oid");
                CliRun run = CliRun.run(home, "repack_tables");
                assertEquals(0, run.exitCode(), run::toString);
                assertTrue(run.out().contains("public." + repacked) && run.out().contains("repacked"), run::toString);
                assertNotEquals(oidBefore, db.scalar("SELECT 'public." + repacked + "'::regclass::oid"), "round " + round + " swapped");
                replayed += Long.parseLong(db.scalar("SELECT i_rows_replayed FROM sch_repcloud.t_table_repack"
                        + " WHERE v_old_table_name = '" + repacked + "'"));
                assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            }
            Thread.sleep(500);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertTrue(app.transactions.get() > 100, "the workload ran: " + app.transactions.get());
            db.assertEqualToTwin(table);
            if (countsTriggers) {
                assertEquals(Long.toString(app.updatedRows.get()),
                        db.scalar("SELECT count(*) FROM trigger_firings WHERE tbl = '" + table + "'"),
                        "the BEFORE UPDATE trigger fired once per row the application updated");
            }
        }
        System.out.println(java.nio.file.Files.readString(home.resolve("logs/repack_default.log")));
        assertTrue(replayed > 0, "changes were replayed, so the test exercised the replay");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace IN "
                + "('sch_repnew'::regnamespace, 'sch_repdrop'::regnamespace)"), "nothing left in the helper schemas");
    }
}
