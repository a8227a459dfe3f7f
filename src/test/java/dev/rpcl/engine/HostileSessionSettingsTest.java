package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timeouts a DBA set on the role rpcl runs as (statement_timeout, idle_session_timeout,
 * idle_in_transaction_session_timeout, transaction_timeout on 17+) do not end rpcl's long copy,
 * nor the session that holds the table's advisory lock: while one rpcl process works on a table,
 * a second one, of another configuration, skips it, even after the first one's sessions sat idle
 * longer than the role allows.
 */
@Timeout(120)
class HostileSessionSettingsTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(HostileSessionSettingsTest.class);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void roleTimeoutsEndNeitherTheCopyNorTheLockThatKeepsASecondProcessOff() throws Exception {
        db.execute("""
                CREATE FUNCTION slow_ok(text) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN
                  IF current_setting('application_name') LIKE 'repcloud - %' THEN PERFORM pg_sleep(0.002); END IF;
                  RETURN true;
                END$$""",
                "CREATE TABLE t (id int PRIMARY KEY, v text CHECK (public.slow_ok(v)))",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1500) g",
                "DELETE FROM t WHERE id % 3 = 0");
        List<List<String>> rows = db.query("SELECT * FROM t ORDER BY id");
        String before = db.scalar("SELECT 't'::regclass::oid");
        db.writeConfig(home, "default", "main", "tables = ['public.t']\ncheck_time = \"0\"");
        db.writeConfig(home, "other", "main", "tables = ['public.t']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        db.executeAsAdmin("ALTER ROLE " + db.owner() + " SET statement_timeout = '300ms'",
                "ALTER ROLE " + db.owner() + " SET idle_session_timeout = '400ms'",
                "ALTER ROLE " + db.owner() + " SET idle_in_transaction_session_timeout = '300ms'");
        if (db.major() >= 17) {
            db.executeAsAdmin("ALTER ROLE " + db.owner() + " SET transaction_timeout = '500ms'");
        }
        try {
            CompletableFuture<CliRun> first = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            // The copy takes about 2 s (2 ms per row checked): past every timeout of the role.
            Thread.sleep(1200);
            CliRun second = CliRun.run(home, "repack_tables", "--config", "other");
            assertTrue(second.toString().contains("another rpcl process is working on it"), second::toString);
            CliRun done = first.get(90, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
        } finally {
            db.executeAsAdmin("ALTER ROLE " + db.owner() + " RESET ALL");
        }
        assertNotEquals(before, db.scalar("SELECT 't'::regclass::oid"), "repacked");
        assertEquals(rows, db.query("SELECT * FROM t ORDER BY id"));
    }
}
