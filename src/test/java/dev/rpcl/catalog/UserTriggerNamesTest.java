package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * rpcl knows its triggers by the function they call (in sch_repnew), not by their names: a user's
 * trigger named like rpcl's (z_repcloud_...) is carried over like any other, and one that holds
 * the very name rpcl gives its own makes the table skipped before anything is created, and is
 * never dropped by a cleanup.
 */
@Timeout(120)
class UserTriggerNamesTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(UserTriggerNamesTest.class);
        db.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g",
                "DELETE FROM t WHERE id % 2 = 0",
                "CREATE TABLE audit (v text)",
                "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO audit VALUES (TG_NAME); RETURN NULL; END$$");
        db.writeConfig(home, "default", "main", "tables = ['public.t']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void aUserTriggerNamedLikeRpclsIsCarriedOverNotDropped() {
        db.execute("CREATE TRIGGER z_repcloud_audit AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION audit()");
        String dump = db.schemaDump();
        String before = db.scalar("SELECT 't'::regclass::oid");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(before, db.scalar("SELECT 't'::regclass::oid"));
        SchemaDiff.assertSameSchema(dump, db.schemaDump(), null);
        db.execute("UPDATE t SET v = 'x' WHERE id = 1");
        assertEquals("z_repcloud_audit", db.scalar("SELECT v FROM audit"), "the user's trigger fires on the new table");
    }

    @Test
    void aUserTriggerWithRpclsOwnNameSkipsTheTableAndSurvives() {
        db.execute("CREATE TRIGGER z_repcloud_log_ins AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit()");
        String dump = db.schemaDump();
        CliRun run = CliRun.run(home, "repack_tables");
        assertTrue(run.out().contains("has a trigger of its own named z_repcloud_log_ins"), run::toString);
        SchemaDiff.assertSameSchema(dump, db.schemaDump(), null);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        CliRun abort = CliRun.run(home, "abort_repack");
        assertEquals(0, abort.exitCode(), abort::toString);
        CliRun drop = CliRun.run(home, "drop_schema");
        assertEquals(0, drop.exitCode(), drop::toString);
        assertEquals("1", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'z_repcloud_log_ins'"), "the user's trigger is still there");
    }
}
