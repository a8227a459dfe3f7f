package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application's own DDL on a table rpcl has prepared, while the application keeps writing
 * it and a twin in the same transactions: renaming its key column, widening the key's type (the
 * int-to-bigint migration), disabling and re-enabling its triggers. No statement of the
 * application fails because of rpcl's capture; rpcl never swaps in a copy that may lack changes:
 * it starts the table over, and afterwards the table equals its twin row for row.
 */
@Timeout(180)
class ApplicationDdlWhilePreparedTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(ApplicationDdlWhilePreparedTest.class);
        for (String t : List.of("acct", "acct_twin")) {
            db.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, u int UNIQUE NOT NULL, v text)",
                    "INSERT INTO " + t + " SELECT g, g, md5(g::text) FROM generate_series(1, 20000) g",
                    "DELETE FROM " + t + " WHERE id % 3 = 0");
        }
        db.writeConfig(home, "default", "main", "tables = ['public.acct']\ncheck_time = \"0\"\nmax_replay_rows = 500");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    /**
     * Writes the table and its twin in the same transactions without naming the key column (rows
     * are found by u, inserted by position), so that its statements stay valid across the DDL.
     */
    static final class Writer implements AutoCloseable {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicLong transactions = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        Writer(TestDatabase db) {
            thread = new Thread(() -> {
                long next = 100_000;
                try (Connection c = db.ownerConnection()) {
                    c.setAutoCommit(false);
                    for (int i = 0; !stop.get(); i++) {
                        int u = 1 + (i * 7919) % 20000;
                        for (String t : List.of("acct", "acct_twin")) {
                            run(c, "UPDATE " + t + " SET v = ? WHERE u = ?", "w" + i, u);
                            run(c, "DELETE FROM " + t + " WHERE u = ?", u + 1);
                            run(c, "INSERT INTO " + t + " VALUES (?, ?, ?)", (int) next, (int) next, "i" + i);
                        }
                        next++;
                        c.commit();
                        transactions.incrementAndGet();
                        Thread.sleep(2);
                    }
                } catch (SQLException | InterruptedException | RuntimeException e) {
                    errors.add(e);
                }
            });
            thread.start();
        }

        private static void run(Connection c, String sql, Object... params) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                ps.executeUpdate();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
        }
    }

    private void assertTwinsEqual() {
        db.assertEqualToTwin("acct");
    }

    private String oid() {
        return db.scalar("SELECT 'public.acct'::regclass::oid");
    }

    private String log() throws Exception {
        return java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
    }

    @Test
    void renamingAndWideningTheKeyWhilePreparedFailsNoWriteAndTheTableIsStartedOver() throws Exception {
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        String before = oid();
        try (Writer app = new Writer(db)) {
            Thread.sleep(300);
            db.execute("ALTER TABLE acct RENAME COLUMN id TO acct_id", "ALTER TABLE acct_twin RENAME COLUMN id TO acct_id");
            Thread.sleep(300);
            db.execute("ALTER TABLE acct ALTER COLUMN acct_id TYPE bigint", "ALTER TABLE acct_twin ALTER COLUMN acct_id TYPE bigint");
            // The reason for the migration: a key past 2^31, which the old log's int column cannot take.
            db.execute("INSERT INTO acct VALUES (3000000000, -1, 'big')", "INSERT INTO acct_twin VALUES (3000000000, -1, 'big')");
            Thread.sleep(300);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertTrue(app.transactions.get() > 50, "the application wrote: " + app.transactions.get());
        }
        assertTrue(log().contains("were renamed or changed type while rpcl was capturing its changes"), "the log says why");
        assertNotEquals(before, oid(), "repacked, from a new copy");
        assertEquals("bigint", db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = 'public.acct'::regclass AND attname = 'acct_id'"));
        assertTwinsEqual();
    }

    @Test
    void disablingAndEnablingTheTriggersWhilePreparedStartsTheTableOverInsteadOfLosingRows() throws Exception {
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        try (Writer app = new Writer(db)) {
            Thread.sleep(300);
            db.execute("ALTER TABLE acct DISABLE TRIGGER USER");
            // In one transaction, as the application writes the twins: its row locks keep the
            // writer's updates of the same rows wholly before or after. Only rows that were there
            // before (u <= 20000): a row the writer inserts and commits between the two statements
            // would be seen by the second only (read committed), and the twins would differ by it.
            try (Connection c = db.ownerConnection(); var st = c.createStatement()) {
                c.setAutoCommit(false);
                st.execute("UPDATE acct SET v = 'while disabled' WHERE u % 20 = 1 AND u <= 20000");
                st.execute("UPDATE acct_twin SET v = 'while disabled' WHERE u % 20 = 1 AND u <= 20000");
                c.commit();
            }
            Thread.sleep(300);
            db.execute("ALTER TABLE acct ENABLE TRIGGER USER");
            Thread.sleep(300);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
        }
        assertTwinsEqual();
        assertTrue(log().contains("were disabled after they were created"), "the log says why");
    }

    @Test
    void aPreparedTableThatWasRenamedIsReportedAndRpclsObjectsLeaveIt() {
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        db.execute("ALTER TABLE acct RENAME TO accounts");
        CliRun run = CliRun.run(home, "repack_tables");
        assertNotEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("public.acct") && run.out().contains("was renamed to public.accounts while rpcl was"
                + " repacking it"), run::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.accounts'::regclass"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
        db.execute("UPDATE accounts SET v = 'after' WHERE u = 1");
    }

    @Test
    void aPreparedTableThatWasDroppedIsReportedAndItsLogAndCopyGo() {
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        db.execute("DROP TABLE acct");
        CliRun run = CliRun.run(home, "prepare_repack");
        assertNotEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("public.acct") && run.out().contains("was dropped while rpcl was repacking it"), run::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = 'sch_repnew'::regnamespace"));
    }

    @Test
    void theReplayDaemonCleansUpATableWhoseCaptureWasLostInsteadOfReplayingItForEver() throws Exception {
        ConnectionConfig cfg = new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        db.execute("ALTER TABLE acct ALTER COLUMN id TYPE bigint", "INSERT INTO acct VALUES (3000000000, -1, 'big')");
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            new RepackEngine(database, RepackOptions.defaults(), () -> false).replayPrepared();
        }
        assertEquals("failed", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));
        assertTrue(db.scalar("SELECT t_message FROM sch_repcloud.t_table_repack").contains("next repack_tables or prepare_repack starts it over"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.acct'::regclass"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
    }
}
