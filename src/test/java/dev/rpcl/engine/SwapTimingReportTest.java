package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long the swap held the ACCESS EXCLUSIVE lock is what a DBA checks first: the summary shows
 * it per table, and the log says where that time went, part by part. Numbers are not asserted
 * (they belong to the benchmark), only that they are reported.
 */
@Timeout(120)
class SwapTimingReportTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(SwapTimingReportTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void theLockHeldTimeIsInTheSummaryAndItsBreakdownInTheLog() throws Exception {
        db.execute("CREATE TABLE public.measured (id bigserial PRIMARY KEY, a int NOT NULL, b text, c timestamptz)",
                "CREATE INDEX measured_a ON public.measured (a)", "CREATE INDEX measured_b ON public.measured (b)",
                "CREATE INDEX measured_c ON public.measured (c)",
                "INSERT INTO public.measured (a, b) SELECT g, 'x' || g FROM generate_series(1, 2000) g",
                "DELETE FROM public.measured WHERE id % 2 = 0");
        db.writeConfig(home, "default", "main", "tables = ['public.measured']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);

        assertTrue(run.out().contains("lock held"), run::toString);
        assertTrue(Pattern.compile("public\\.measured\\b.*\\b\\d+ ms").matcher(run.out()).find(), run::toString);
        List<String> log = Files.readAllLines(home.resolve("logs").resolve("repack_default.log"));
        Pattern breakdown = Pattern.compile("public\\.measured: ACCESS EXCLUSIVE lock held \\d+ ms \\(\\d+ statements carried over,"
                + " catalog read ahead and checked under the lock\\): .*lock wait [\\d.]+, .*replay [\\d.]+, catalog check [\\d.]+,"
                + " move [\\d.]+, state [\\d.]+, commit [\\d.]+");
        assertTrue(log.stream().anyMatch(l -> breakdown.matcher(l).find()), () -> String.join("\n", log));
        Pattern perCarrier = Pattern.compile("public\\.measured: capture by carrier \\(ms\\): .*Privileges [\\d.]+, .*Triggers [\\d.]+");
        assertTrue(log.stream().anyMatch(l -> perCarrier.matcher(l).find()), "debug: the capture, carrier by carrier");
    }
}
