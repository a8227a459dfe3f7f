package dev.rpcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HelperSchemaCommandsTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(HelperSchemaCommandsTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void createSchemaAsNonSuperuserOwnerCreatesTheThreeHelperSchemas() {
        db.writeConfig(home, "default", "main", "");
        CliRun run = CliRun.run(home, "create_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("Created the helper schemas"), run::toString);
        assertEquals("3", db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('sch_repcloud','sch_repnew','sch_repdrop')"));
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));

        CliRun again = CliRun.run(home, "create_schema");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.out().contains("already present"), again::toString);

        CliRun drop = CliRun.run(home, "drop_schema");
        assertEquals(0, drop.exitCode(), drop::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('sch_repcloud','sch_repnew','sch_repdrop')"));
    }
}
