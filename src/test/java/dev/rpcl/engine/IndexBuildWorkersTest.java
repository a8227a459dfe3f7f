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
 * The indexes of the copy are built one after the other on one connection, each with every
 * parallel worker the server gives one CREATE INDEX: two builds that end together write and
 * sync two indexes at once, which every commit of the application waits behind. An event trigger
 * records, for each CREATE INDEX of the copy, the backend that ran it, the worker setting it ran
 * with and when it ended.
 */
class IndexBuildWorkersTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(IndexBuildWorkersTest.class);
        db.execute("CREATE TABLE build_log (index_name text, workers text, pid int, started timestamptz, ended timestamptz)");
        db.executeAsAdmin("""
                CREATE FUNCTION public.record_index_build() RETURNS event_trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO public.build_log
                  SELECT c.object_identity, current_setting('max_parallel_maintenance_workers'), pg_backend_pid(),
                         statement_timestamp(), clock_timestamp()
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

    @ParameterizedTest(name = "max_parallel_maintenance_workers {0}: every build of the copy runs with {0}, one at a time")
    @CsvSource({"2", "5", "0"})
    @Timeout(120)
    void indexesAreBuiltOneAtATimeEachWithTheServersWorkers(int serverWorkers) {
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

        String workers = Integer.toString(serverWorkers);
        List<List<String>> builds = db.query("SELECT index_name, workers FROM build_log ORDER BY index_name");
        assertEquals(List.of(
                List.of("sch_repnew.wide_a", workers), List.of("sch_repnew.wide_b", workers),
                List.of("sch_repnew.wide_c", workers), List.of("sch_repnew.wide_d", workers),
                List.of("sch_repnew.wide_pkey", workers)), builds);
        assertEquals("1", db.scalar("SELECT count(DISTINCT pid) FROM build_log"), "one connection builds them all");
        assertEquals("0", db.scalar("SELECT count(*) FROM build_log x JOIN build_log y ON x.index_name < y.index_name"
                + " AND x.started < y.ended AND y.started < x.ended"), "no two builds overlap");
    }
}
