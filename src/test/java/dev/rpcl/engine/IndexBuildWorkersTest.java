package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The secondary indexes are built two at a time; together they run no more processes than one
 * CREATE INDEX may (its leader and max_parallel_maintenance_workers), so that the application's
 * sessions are not left waiting for a CPU. The primary key, built alone, may use every worker.
 * An event trigger records the setting each CREATE INDEX of the copy ran with.
 */
class IndexBuildWorkersTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(IndexBuildWorkersTest.class);
        db.execute("CREATE TABLE build_log (index_name text, workers text)");
        db.executeAsAdmin("""
                CREATE FUNCTION public.record_index_build() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO public.build_log
                  SELECT c.object_identity, current_setting('max_parallel_maintenance_workers')
                    FROM pg_event_trigger_ddl_commands() c
                   WHERE c.object_type = 'index' AND c.object_identity LIKE 'sch_repnew.wide%';
                END $$""",
                "CREATE EVENT TRIGGER record_index_build ON ddl_command_end WHEN TAG IN ('CREATE INDEX')"
                        + " EXECUTE FUNCTION public.record_index_build()");
    }

    @AfterAll
    static void dropDatabase() {
        db.executeAsAdmin("DROP EVENT TRIGGER record_index_build", "DROP FUNCTION public.record_index_build()");
        db.close();
    }

    @ParameterizedTest(name = "max_parallel_maintenance_workers {0}: primary key {0}, the two concurrent builds {1} each")
    @CsvSource({"2, 0", "5, 2", "0, 0"})
    @Timeout(120)
    void concurrentBuildsShareWhatOneCreateIndexMayUse(int serverWorkers, String perBuild) {
        db.executeAsAdmin("ALTER DATABASE " + db.name() + " SET max_parallel_maintenance_workers = " + serverWorkers);
        db.execute("DROP TABLE IF EXISTS wide", "TRUNCATE build_log",
                "CREATE TABLE wide (id int PRIMARY KEY, a int, b int, c int, d int)",
                "CREATE INDEX wide_a ON wide (a)", "CREATE INDEX wide_b ON wide (b)",
                "CREATE INDEX wide_c ON wide (c)", "CREATE INDEX wide_d ON wide (d)",
                "INSERT INTO wide SELECT i, i % 7, i % 11, i % 13, i % 17 FROM generate_series(1, 5000) i");
        db.writeConfig(home, "default", "main", "tables = ['public.wide']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);

        List<List<String>> builds = db.query("SELECT index_name, workers FROM build_log ORDER BY index_name");
        assertEquals(List.of(
                List.of("sch_repnew.wide_a", perBuild), List.of("sch_repnew.wide_b", perBuild),
                List.of("sch_repnew.wide_c", perBuild), List.of("sch_repnew.wide_d", perBuild),
                List.of("sch_repnew.wide_pkey", Integer.toString(serverWorkers))), builds);
    }
}
