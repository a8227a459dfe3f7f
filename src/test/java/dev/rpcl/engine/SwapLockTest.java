package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.db.SqlStates;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The swap needs an ACCESS EXCLUSIVE lock for a moment. When another session holds a conflicting
 * lock, rpcl retries a bounded number of times, and deadlock_resolution decides what happens to
 * the blocker: nothing leaves it alone (and the table fails cleanly), cancel_query cancels its
 * running query (which cannot free a session idle in a transaction), kill_query terminates it.
 */
class SwapLockTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(SwapLockTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private void table(String name, String resolution) {
        db.execute("CREATE TABLE " + name + " (id int PRIMARY KEY, v text)",
                "INSERT INTO " + name + " SELECT i, md5(i::text) FROM generate_series(1, 2000) i");
        configure(name, "200ms", resolution);
    }

    private void configure(String table, String lockTimeout, String resolution) {
        db.writeConfig(home, "default", "main", """
                tables = ['public.%s']
                lock_timeout = "%s"
                check_time = "0"
                deadlock_resolution = "%s"
                """.formatted(table, lockTimeout, resolution));
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
    }

    /** A parent of 10 rows and a child of 2000 rows with a foreign key to it. */
    private static void parentAndChild(String parent, String child) {
        db.execute("CREATE TABLE " + parent + " (id int PRIMARY KEY)", "INSERT INTO " + parent + " SELECT generate_series(1, 10)",
                "CREATE TABLE " + child + " (id int PRIMARY KEY, parent_id int REFERENCES " + parent + ")",
                "INSERT INTO " + child + " SELECT i, i % 10 + 1 FROM generate_series(1, 2000) i");
    }

    /** A session that read the table in a transaction it keeps open: ACCESS SHARE held, idle. */
    private static Connection idleReader(String table) throws SQLException {
        Connection c = db.ownerConnection();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT count(*) FROM " + table);
        }
        return c;
    }

    private String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    /**
     * The blocker still holds its lock when the swap gives up, so rpcl cannot drop its triggers
     * (DROP TRIGGER needs ACCESS EXCLUSIVE): it makes them inert, drops the log and copy, and says
     * so. The application keeps writing without error.
     */
    private void assertFailedAndInert(String table, String oidBefore) {
        assertEquals(oidBefore, oid(table), "the original is still in place");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"),
                "no copy or log left");
        assertEquals("failed", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '" + table + "'"));
        assertTrue(db.scalar("SELECT t_message FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '" + table + "'")
                .contains("Run rpcl abort_repack when the table is idle"));
        db.execute("UPDATE " + table + " SET v = 'still writable' WHERE id = 1", "INSERT INTO " + table + " VALUES (-1, 'new')");
    }

    /** Once the blocker is gone, the next run cleans up what the failed one left and repacks the table. */
    private void assertNextRunRepacks(String table, String oidBefore) {
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(oidBefore, oid(table), "swapped");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'z_repcloud%'"), "no rpcl trigger left");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = 'sch_repnew'::regnamespace"),
                "no rpcl function left");
        assertEquals("2001", db.scalar("SELECT count(*) FROM " + table));
    }

    private String log() throws Exception {
        return Files.readString(home.resolve("logs/repack_default.log"));
    }

    @Test
    @Timeout(120)
    void withNothingTheSwapRetriesABoundedNumberOfTimesThenFailsCleanlyAndLeavesTheBlockerAlone() throws Exception {
        table("t_nothing", "nothing");
        // Each attempt builds its replacement on the copy ahead of the lock; the failed table must not keep it.
        db.execute("CREATE MATERIALIZED VIEW t_nothing_count AS SELECT count(*) AS n FROM t_nothing");
        String before = oid("t_nothing");
        try (Connection blocker = idleReader("t_nothing")) {
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(3, run.exitCode(), run::toString);
            assertTrue(run.out().contains("Cannot swap public.t_nothing") && run.out().contains("attempts that waited"), run::toString);
            assertTrue(run.out().contains("held by pid ") && run.out().contains("holds AccessShareLock, idle in transaction"),
                    () -> "the blocker is named: " + run);
            assertTrue(run.out().contains("they now do nothing. Run rpcl abort_repack when the table is idle"),
                    () -> "the terminal says what is left and what to do: " + run);
            assertTrue(log().contains("swap attempt 1 gave up after waiting") && log().contains("of the 50 ms it allowed itself"),
                    "each attempt is logged, the first one short");
            try (Statement st = blocker.createStatement()) {
                st.execute("SELECT 1");
            }
            assertFailedAndInert("t_nothing", before);
            blocker.rollback();
        }
        assertNextRunRepacks("t_nothing", before);
        assertEquals("2001", db.scalar("SELECT n FROM t_nothing_count"), "the materialized view holds the table's rows at the swap");
    }

    @Test
    @Timeout(120)
    void cancelQueryCancelsTheBlockersRunningQueryAndTheSwapSucceeds() throws Exception {
        table("t_cancel", "cancel_query");
        String before = oid("t_cancel");
        try (Connection blocker = db.ownerConnection()) {
            blocker.setAutoCommit(false);
            CompletableFuture<SQLException> sleeping = CompletableFuture.supplyAsync(() -> {
                try (Statement st = blocker.createStatement()) {
                    st.execute("LOCK TABLE t_cancel IN ACCESS SHARE MODE");
                    st.execute("SELECT pg_sleep(60)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            Thread.sleep(300);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            SQLException cancelled = sleeping.get(30, TimeUnit.SECONDS);
            assertTrue(SqlStates.is(cancelled, SqlStates.QUERY_CANCELED), "the blocker's query was cancelled: " + cancelled);
            blocker.rollback();
            try (Statement st = blocker.createStatement()) {
                st.execute("SELECT 1");
            }
        }
        assertNotEquals(before, oid("t_cancel"), "swapped");
        assertTrue(log().contains("cancelled the query of session pid"), "the log names the cancelled session");
    }

    @Test
    @Timeout(120)
    void cancelQueryCannotFreeASessionIdleInTransactionSoTheTableFailsCleanly() throws Exception {
        table("t_idle", "cancel_query");
        String before = oid("t_idle");
        try (Connection blocker = idleReader("t_idle")) {
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(3, run.exitCode(), run::toString);
            assertTrue(run.out().contains("Cannot swap public.t_idle"), run::toString);
            try (Statement st = blocker.createStatement()) {
                st.execute("SELECT 1");
            }
            assertFailedAndInert("t_idle", before);
            blocker.rollback();
        }
        assertNextRunRepacks("t_idle", before);
    }

    @Test
    @Timeout(120)
    void killQueryTerminatesASessionIdleInTransactionAndTheSwapSucceeds() throws Exception {
        table("t_kill", "kill_query");
        db.execute("CREATE TABLE t_kill_other (id int PRIMARY KEY)");
        String before = oid("t_kill");
        // A bystander of the same role, idle in a transaction on another table: it blocks nothing and must be left alone.
        try (Connection blocker = idleReader("t_kill"); Connection bystander = idleReader("t_kill_other")) {
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            assertThrows(SQLException.class, () -> {
                try (Statement st = blocker.createStatement()) {
                    st.execute("SELECT 1");
                }
            }, "the blocker's session was terminated");
            try (Statement st = bystander.createStatement()) {
                st.execute("SELECT count(*) FROM t_kill_other");
            }
            bystander.commit();
        }
        assertNotEquals(before, oid("t_kill"), "swapped");
        assertTrue(log().contains("terminated session pid"), "the log names the terminated session");
    }

    /**
     * Dropping a foreign key locks the table it references ACCESS EXCLUSIVE. The old table's own
     * foreign keys go in a short transaction of their own, so the transaction that drops the old
     * table, whose commit removes its files (hundreds of ms for a big table), holds no lock on the
     * referenced table: readers and writers of the parent are not held up by the cleanup.
     */
    @Test
    @Timeout(120)
    void theOldTableIsDroppedWithoutHoldingALockOnTheTableItsForeignKeyReferences() throws Exception {
        db.execute("CREATE TABLE t_parent (id int PRIMARY KEY)", "INSERT INTO t_parent SELECT generate_series(1, 10)",
                "CREATE TABLE drop_locks (what text)");
        table("t_child", "nothing");
        db.execute("ALTER TABLE t_child ADD COLUMN parent_id int CONSTRAINT t_child_parent_fk REFERENCES t_parent",
                "UPDATE t_child SET parent_id = id % 10 + 1");
        // Records, at the end of the statement that drops the parked old table, the locks its transaction holds on the parent.
        db.executeAsAdmin("""
                CREATE FUNCTION public.record_drop_locks() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects()
                              WHERE object_type = 'table' AND schema_name = 'sch_repdrop') THEN
                    INSERT INTO public.drop_locks SELECT mode FROM pg_locks
                     WHERE pid = pg_backend_pid() AND relation = 'public.t_parent'::regclass;
                    INSERT INTO public.drop_locks VALUES ('old table dropped');
                  END IF;
                END $$""", "CREATE EVENT TRIGGER record_drop_locks ON sql_drop EXECUTE FUNCTION public.record_drop_locks()");
        try {
            String before = oid("t_child");
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            assertNotEquals(before, oid("t_child"), "swapped");
            assertEquals(java.util.List.of(java.util.List.of("old table dropped")), db.query("SELECT what FROM drop_locks"),
                    "no lock on the parent while the old table's files go");
            assertEquals("t", db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 't_child_parent_fk'"
                    + " AND conrelid = 'public.t_child'::regclass"), "the foreign key is on the new table, validated");
        } finally {
            db.executeAsAdmin("DROP EVENT TRIGGER record_drop_locks", "DROP FUNCTION public.record_drop_locks()");
        }
    }

    /**
     * Under the lock, the trial drop of the old table raises the lock on the table its foreign key
     * references to ACCESS EXCLUSIVE, and so waits for that table's readers while the repacked
     * table is held. That wait counts against the same budget as the other linked locks, under
     * deadlock_timeout (1 s), however long lock_timeout is: an application transaction that reads
     * the parent and then waits for the table is never the deadlock detector's victim, and the
     * table's own sessions wait less than a second per attempt, not lock_timeout.
     */
    @Test
    @Timeout(120)
    void aReaderOfTheReferencedTableHoldsTheSwapForLessThanDeadlockTimeoutNotForLockTimeout() throws Exception {
        parentAndChild("t_owner", "t_owned");
        configure("t_owned", "5s", "nothing");
        assertEquals("1s", db.scalar("SHOW deadlock_timeout"));
        String before = oid("t_owned");
        try (Connection reader = idleReader("t_owner")) {
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!log().contains("swap attempt 1 gave up") && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            reader.rollback();
            CliRun done = run.get(60, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
        }
        assertNotEquals(before, oid("t_owned"), "swapped once the reader was gone");
        long heldMs = java.time.Duration.between(logTime("swap attempt 1: ACCESS EXCLUSIVE lock obtained"),
                logTime("swap attempt 1 gave up")).toMillis();
        assertTrue(heldMs < 1000, "the first attempt held the table " + heldMs + " ms waiting for the reader");
        assertTrue(log().contains("a table or view linked to it stayed locked"), "the log says why the attempt gave up");
    }

    /**
     * When the old table's foreign key could not be dropped right after the swap (a reader of the
     * referenced table got in first), the finishing drops it with lock_timeout and retries, never
     * queueing the referenced table's readers behind a long one; if it still cannot, the table is
     * left unfinished with a warning, is not repacked again meanwhile, and a later run finishes it.
     * An event trigger refuses the drop while a row says so, which stands in for that reader.
     */
    @Test
    @Timeout(120)
    void anOldForeignKeyThatCannotBeDroppedLeavesTheTableUnfinishedUntilTheReferencedTableIsFree() throws Exception {
        parentAndChild("t_lender", "t_loan");
        configure("t_loan", "200ms", "nothing");
        String parkedKeys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
                + " AND conrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace)";
        String status = "SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 't_loan'";
        try (AutoCloseable refusal = refuseDdl("refuse_fk_drop", "%sch_repdrop%DROP CONSTRAINT%", "fk_drop_refused")) {
            String before = oid("t_loan");
            CliRun first = CliRun.run(home, "repack_tables");
            String swappedOid = oid("t_loan");
            assertNotEquals(before, swappedOid, "swapped");
            assertEquals("1", db.scalar(parkedKeys), "the old table and its foreign key are still parked");
            assertEquals("in progress", db.scalar(status));
            assertTrue(first.out().contains("until the next repack_tables or abort_repack finishes public.t_loan"), first::toString);

            db.execute("DELETE FROM fk_drop_refused");
            try (Connection reader = idleReader("t_lender")) {
                CliRun second = CliRun.run(home, "repack_tables");
                assertEquals("1", db.scalar(parkedKeys), "not dropped while the reader holds the referenced table");
                assertEquals(swappedOid, oid("t_loan"), "not repacked again while unfinished");
                assertTrue(second.out().contains("swapped by an earlier run whose finishing could not complete"), second::toString);
                assertTrue(log().contains("lock timeout"), "the log says why");
                // The reader was never queued behind the drop: it can still read.
                try (Statement st = reader.createStatement()) {
                    st.execute("SELECT count(*) FROM t_lender");
                }
                reader.rollback();
            }
            CliRun third = CliRun.run(home, "repack_tables");
            assertEquals(0, third.exitCode(), third::toString);
            assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace"),
                    "the old table is gone");
            assertEquals("complete", db.scalar(status));
            assertEquals("2000", db.scalar("SELECT count(*) FROM t_loan"));
        }
    }

    private static boolean waitingNow(PreparedStatement waiting) throws SQLException {
        try (ResultSet rs = waiting.executeQuery()) {
            return rs.next() && rs.getInt(1) == 1;
        }
    }

    /**
     * The swap reads the catalog ahead of its lock and, under it, checks in one round trip that
     * nothing it read has changed. Before 18, GRANT takes no lock on the table, so a grant made
     * while the swap waits for its lock lands after that reading: the check must see it, and the catalog is
     * read again under the lock, so the grant is on the new table. With nothing changed, the
     * next repack only checks.
     */
    @Test
    @Timeout(120)
    void aGrantMadeWhileTheSwapWaitsForItsLockIsCarriedOver() throws Exception {
        db.execute("CREATE TABLE t_granted (id int PRIMARY KEY, v text)",
                "INSERT INTO t_granted SELECT i, md5(i::text) FROM generate_series(1, 2000) i");
        // Since 18 a GRANT on a table takes a lock on it, so it waits behind the swap's and lands
        // on the new table: the wait this test is about cannot happen there.
        boolean grantTakesNoTableLock = db.major() < 18;
        configure("t_granted", "5s", "nothing");
        String before = oid("t_granted");
        // Whether the grant landed while the swap's lock request was waiting (attempts are short,
        // 50 ms, behind an idle reader): then the swap must have read the catalog again under it.
        boolean grantedDuringTheWait = false;
        try (Connection reader = idleReader("t_granted"); Connection owner = db.ownerConnection();
             PreparedStatement waiting = owner.prepareStatement("SELECT count(*) FROM pg_locks WHERE NOT granted"
                     + " AND mode = 'AccessExclusiveLock' AND relation = 'public.t_granted'::regclass");
             Statement grant = owner.createStatement()) {
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!waitingNow(waiting) && System.nanoTime() < until) {
                Thread.sleep(2);
            }
            if (grantTakesNoTableLock) {
                grant.execute("GRANT SELECT (v) ON t_granted TO PUBLIC; GRANT UPDATE ON t_granted TO PUBLIC");
                grantedDuringTheWait = waitingNow(waiting);
            }
            reader.rollback();
            CliRun done = run.get(60, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
        }
        assertNotEquals(before, oid("t_granted"), "swapped");
        if (grantTakesNoTableLock) {
            assertEquals("true|true", db.scalar("SELECT has_column_privilege('public', 'public.t_granted', 'v', 'SELECT')"
                    + " || '|' || has_table_privilege('public', 'public.t_granted', 'UPDATE')"), "the grants made during the wait");
            String log = log();
            if (grantedDuringTheWait) {
                assertTrue(log.contains("the catalog changed since it was read ahead of the lock; reading it again under the lock")
                        && log.contains("catalog read under the lock)"), () -> "the catalog was read again under the lock: "
                        + log.lines().filter(l -> l.contains("catalog") || l.contains("swap attempt")).toList());
            }
        } else {
            db.execute("GRANT SELECT (v) ON t_granted TO PUBLIC", "GRANT UPDATE ON t_granted TO PUBLIC");
        }

        CliRun again = CliRun.run(home, "repack_tables");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(log().contains("catalog read ahead and checked under the lock)"), "nothing changed: only checked");
        assertEquals("true|true", db.scalar("SELECT has_column_privilege('public', 'public.t_granted', 'v', 'SELECT')"
                + " || '|' || has_table_privilege('public', 'public.t_granted', 'UPDATE')"));
    }

    /**
     * An identity sequence goes to sch_repdrop with its old table. Two tables of the same name in
     * two schemas have identity sequences of the same name; while the first old table is still
     * there (its drop refused here by an event trigger, as a slow or failed drop would leave it),
     * the second swap must not collide with it, and both keep their sequences' values.
     */
    @Test
    @Timeout(120)
    void twoIdentitySequencesOfTheSameNameAreParkedSideBySide() throws Exception {
        db.execute("CREATE SCHEMA s_one", "CREATE SCHEMA s_two");
        for (String schema : java.util.List.of("s_one", "s_two")) {
            db.execute("CREATE TABLE " + schema + ".t_twin (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)",
                    "INSERT INTO " + schema + ".t_twin (v) SELECT md5(i::text) FROM generate_series(1, 3000) i",
                    "DELETE FROM " + schema + ".t_twin WHERE id % 3 = 0");
        }
        db.writeConfig(home, "default", "main", """
                tables = ['s_one.t_twin', 's_two.t_twin']
                lock_timeout = "200ms"
                check_time = "0"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        try (AutoCloseable refusal = refuseDdl("refuse_parked_drop", "DROP TABLE IF EXISTS \"sch_repdrop\"%", "parked_drop_refused")) {
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals("2", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace"
                    + " AND relkind = 'S'"), run::toString);
            for (String schema : java.util.List.of("s_one", "s_two")) {
                assertEquals("3000", db.scalar("SELECT last_value FROM " + schema + ".t_twin_id_seq"), run::toString);
                db.execute("INSERT INTO " + schema + ".t_twin (v) VALUES ('next')");
                assertEquals("3001", db.scalar("SELECT max(id) FROM " + schema + ".t_twin"));
            }
        }
        CliRun finish = CliRun.run(home, "abort_repack");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repdrop'::regnamespace"), finish::toString);
    }

    /**
     * An event trigger that makes DDL whose text is LIKE {@code pattern} fail while the table
     * {@code flag} has a row (delete it to let the DDL through); closing drops the trigger.
     */
    private static AutoCloseable refuseDdl(String name, String pattern, String flag) {
        db.execute("CREATE TABLE " + flag + " (why text)", "INSERT INTO " + flag + " VALUES ('refused by the test')");
        db.executeAsAdmin("""
                CREATE FUNCTION public.%1$s() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF current_query() LIKE '%2$s' AND EXISTS (SELECT 1 FROM public.%3$s) THEN
                    RAISE EXCEPTION 'refused by the test';
                  END IF;
                END $$""".formatted(name, pattern.replace("'", "''"), flag),
                "CREATE EVENT TRIGGER " + name + " ON ddl_command_start EXECUTE FUNCTION public." + name + "()");
        return () -> db.executeAsAdmin("DROP EVENT TRIGGER " + name, "DROP FUNCTION public." + name + "()");
    }

    /** When the first log line containing {@code text} was written. */
    private java.time.LocalDateTime logTime(String text) throws Exception {
        String line = log().lines().filter(l -> l.contains(text)).findFirst().orElseThrow(() -> new AssertionError("no log line: " + text));
        return java.time.LocalDateTime.parse(line.substring(0, 23).replace(' ', 'T'));
    }

    /**
     * rpcl's transactions that lock the table (creating and dropping the triggers, the swap)
     * commit without waiting for the WAL flush, since the lock lasts until the commit returns; and
     * the copy, whose files take a while to remove at commit, is never dropped while the original
     * is locked. Recorded by event triggers as each statement ends.
     */
    @Test
    @Timeout(120)
    void transactionsThatLockTheTableCommitWithoutWaitingForTheFlushAndDropNoBigFilesWhileLocked() throws Exception {
        table("t_brief", "nothing");
        db.execute("CREATE TABLE brief_log (what text, sync text, original_locked boolean)");
        String oid = oid("t_brief");
        db.executeAsAdmin("""
                CREATE FUNCTION public.record_brief() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_EVENT = 'sql_drop' THEN
                    INSERT INTO public.brief_log
                    SELECT 'drop ' || o.object_identity, current_setting('synchronous_commit'),
                           EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND relation = %s)
                      FROM pg_event_trigger_dropped_objects() o
                     WHERE o.object_type = 'table' AND o.schema_name = 'sch_repnew' AND o.object_name LIKE 'new%%';
                    INSERT INTO public.brief_log
                    SELECT 'DROP TRIGGER ' || o.object_identity, current_setting('synchronous_commit'), NULL
                      FROM pg_event_trigger_dropped_objects() o
                     WHERE o.object_type = 'trigger' AND o.object_identity LIKE 'z_repcloud%% on public.%%';
                  ELSE
                    INSERT INTO public.brief_log
                    SELECT TG_TAG || ' ' || c.object_identity, current_setting('synchronous_commit'), NULL
                      FROM pg_event_trigger_ddl_commands() c
                     WHERE TG_TAG = 'CREATE TRIGGER'
                        OR (TG_TAG = 'ALTER TABLE' AND c.object_identity LIKE 'sch_repdrop.%%');
                  END IF;
                END $$""".formatted(oid),
                "CREATE EVENT TRIGGER record_brief_end ON ddl_command_end EXECUTE FUNCTION public.record_brief()",
                "CREATE EVENT TRIGGER record_brief_drop ON sql_drop EXECUTE FUNCTION public.record_brief()");
        try {
            assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
            assertEquals(0, CliRun.run(home, "abort_repack").exitCode());
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
        } finally {
            db.executeAsAdmin("DROP EVENT TRIGGER record_brief_end", "DROP EVENT TRIGGER record_brief_drop",
                    "DROP FUNCTION public.record_brief()");
        }
        java.util.List<java.util.List<String>> rows = db.query("SELECT what, sync, original_locked FROM brief_log");
        assertTrue(rows.stream().filter(r -> r.get(0).startsWith("CREATE TRIGGER")).count() >= 8, rows::toString);
        assertTrue(rows.stream().filter(r -> r.get(0).startsWith("DROP TRIGGER")).count() >= 4, rows::toString);
        assertTrue(rows.stream().anyMatch(r -> r.get(0).startsWith("ALTER TABLE sch_repdrop.")), "the swap: " + rows);
        assertTrue(rows.stream().filter(r -> !r.get(0).startsWith("drop ")).allMatch(r -> r.get(1).equals("off")), rows::toString);
        assertTrue(rows.stream().anyMatch(r -> r.get(0).startsWith("drop ")), "the aborted copy was dropped: " + rows);
        assertTrue(rows.stream().filter(r -> r.get(0).startsWith("drop ")).allMatch(r -> r.get(2).equals("f")), rows::toString);
    }
}
