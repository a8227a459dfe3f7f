package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which tables repack_tables works on: the schemas and tables lists add up (both empty: all), the
 * helper schemas never; tables without a row identity are skipped with the reason; the largest
 * estimated waste goes first.
 */
class TableSelectionTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TableSelectionTest.class);
        db.execute("CREATE SCHEMA s1", "CREATE SCHEMA s2",
                "CREATE TABLE s1.a (id int PRIMARY KEY)", "CREATE TABLE s1.b (id int PRIMARY KEY)",
                "CREATE TABLE s2.b (id int PRIMARY KEY)", "CREATE TABLE s2.c (id int PRIMARY KEY)",
                "CREATE TABLE public.other (id int PRIMARY KEY)",
                "CREATE TABLE public.parted (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                "CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (100)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private List<Candidate> candidates(String extraToml) {
        db.writeConfig(home, "default", "main", extraToml);
        ConnectionConfig cfg = new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
        try (Database database = new Database(cfg, 2)) {
            if (!CliRun.run(home, "create_schema").out().contains("main")) {
                throw new IllegalStateException("create_schema did not run");
            }
            return new RepackEngine(database, RepackOptions.defaults(), () -> false).candidates();
        }
    }

    private static void awaitStatistics(String counter, String value) {
        while (!value.equals(db.scalar("SELECT " + counter + " FROM pg_stat_all_tables WHERE relid = 'purge.events'::regclass"))) {
            Thread.onSpinWait();
        }
    }

    private static List<String> names(List<Candidate> cands) {
        return cands.stream().map(Candidate::display).sorted().toList();
    }

    @Test
    @Timeout(60)
    void schemasAndTablesListsAddUpAndHelperSchemasAreNeverSelected() {
        assertEquals(List.of("s1.a", "s1.b", "s2.b"), names(candidates("schemas = ['s1']\ntables = ['s2.b']")));
        assertEquals(List.of("s2.c"), names(candidates("tables = ['s2.c']")));
        List<String> all = names(candidates(""));
        assertTrue(all.containsAll(List.of("public.other", "s1.a", "s1.b", "s2.b", "s2.c")), all::toString);
        assertTrue(all.stream().noneMatch(n -> n.startsWith("sch_rep")), all::toString);
    }

    @Test
    @Timeout(60)
    void aPartitionedTableStandsForItsLeavesAndPartitionsOfUnsupportedKindsAreSkippedWithTheReason() {
        db.execute("CREATE TABLE public.withdef (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                "CREATE TABLE public.withdef_1 PARTITION OF public.withdef FOR VALUES FROM (0) TO (100)",
                "CREATE TABLE public.withdef_other PARTITION OF public.withdef DEFAULT",
                "CREATE TABLE public.regions (code text NOT NULL, id int NOT NULL, PRIMARY KEY (code, id)) PARTITION BY LIST (code)",
                "CREATE TABLE public.regions_eu PARTITION OF public.regions FOR VALUES IN ('eu')",
                "CREATE TABLE public.offices (id int PRIMARY KEY, code text, region_id int,"
                        + " FOREIGN KEY (code, region_id) REFERENCES public.regions)",
                "CREATE TABLE public.nested (id int, k int, PRIMARY KEY (id, k)) PARTITION BY LIST (k)",
                "CREATE TABLE public.nested_a PARTITION OF public.nested FOR VALUES IN (1) PARTITION BY RANGE (id)",
                "CREATE TABLE public.nested_a_1 PARTITION OF public.nested_a FOR VALUES FROM (0) TO (100)");
        List<Candidate> cands = candidates("tables = ['public.parted', 'public.withdef_1', 'public.regions_eu', 'public.nested']");
        assertEquals(List.of("public.nested_a_1", "public.parted_1", "public.regions_eu", "public.withdef_1"),
                names(cands).stream().sorted().toList(), "a partitioned table stands for its partitions");
        for (Candidate c : cands) {
            switch (c.name()) {
                case "parted_1" -> assertTrue(c.qualifies(), c::toString);
                case "regions_eu" -> assertTrue(c.skipReason().contains("is referenced by a foreign key"), c::toString);
                default -> assertTrue(c.qualifies(), c::toString);
            }
        }
    }

    @Test
    @Timeout(60)
    void largestEstimatedWasteComesFirst() {
        db.execute("CREATE SCHEMA waste",
                "CREATE TABLE waste.small (id int PRIMARY KEY, v text)", "CREATE TABLE waste.big (id int PRIMARY KEY, v text)",
                "CREATE TABLE waste.none (id int PRIMARY KEY, v text)",
                "INSERT INTO waste.small SELECT i, md5(i::text) FROM generate_series(1, 4000) i",
                "INSERT INTO waste.big SELECT i, md5(i::text) FROM generate_series(1, 8000) i",
                "INSERT INTO waste.none SELECT i, md5(i::text) FROM generate_series(1, 8000) i",
                "DELETE FROM waste.small WHERE id % 2 = 0", "DELETE FROM waste.big WHERE id % 10 <> 0",
                "VACUUM ANALYZE waste.small", "VACUUM ANALYZE waste.big", "VACUUM ANALYZE waste.none");
        List<Candidate> cands = candidates("schemas = ['waste']");
        assertEquals(List.of("waste.big", "waste.small", "waste.none"), cands.stream().map(Candidate::display).toList());
        assertTrue(cands.get(0).wastedBytes() > cands.get(1).wastedBytes() && cands.get(1).wastedBytes() > 0, cands::toString);
    }

    @Test
    @Timeout(60)
    void aMassDeleteSinceTheLastAnalyzeCountsAsWaste() {
        // Each step in its own session, as in production where autovacuum's ANALYZE runs in a
        // process of its own; a backend hands its statistics over as it exits, hence the waits.
        db.execute("CREATE SCHEMA purge", "CREATE TABLE purge.events (id int PRIMARY KEY, body text)",
                "INSERT INTO purge.events SELECT g, repeat('e', 200) FROM generate_series(1, 20000) g");
        awaitStatistics("n_live_tup", "20000");
        db.execute("ANALYZE purge.events");
        db.execute("DELETE FROM purge.events WHERE id % 10 < 6");
        awaitStatistics("n_dead_tup", "12000");
        long heap = Long.parseLong(db.scalar("SELECT pg_relation_size('purge.events')"));
        Candidate c = candidates("schemas = ['purge']").get(0);
        // 60% of the rows are gone, so more than half of the heap is waste.
        assertTrue(c.wastedBytes() > heap / 2, () -> c + " heap " + heap);
        assertTrue(c.wastedBytes() < heap, () -> c + " heap " + heap);
    }

    @Test
    @Timeout(120)
    void tablesWithoutAUsableRowIdentityAreSkippedWithTheReasonAndTheRunEndsWithExitCode3() {
        db.execute("CREATE SCHEMA keys",
                "CREATE TABLE keys.nokey (a int, b text)",
                "CREATE TABLE keys.nullable_unique (a int UNIQUE, b text)",
                "CREATE TABLE keys.partial_unique (a int NOT NULL, b text)",
                "CREATE UNIQUE INDEX ON keys.partial_unique (a) WHERE a > 0",
                "CREATE TABLE keys.notnull_unique (a int NOT NULL, b text)",
                "CREATE UNIQUE INDEX ON keys.notnull_unique (a)",
                "INSERT INTO keys.notnull_unique SELECT i, 'x' FROM generate_series(1, 100) i");
        db.writeConfig(home, "default", "main", "schemas = ['keys']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(3, run.exitCode(), run::toString);
        String reason = "no primary key and no unique, valid, non-partial index on NOT NULL columns";
        for (String t : List.of("keys.nokey", "keys.nullable_unique", "keys.partial_unique")) {
            assertTrue(run.out().lines().anyMatch(l -> l.contains(t) && l.contains("skipped") && l.contains(reason)), run::toString);
        }
        assertTrue(run.out().lines().anyMatch(l -> l.contains("keys.notnull_unique") && l.contains("repacked")), run::toString);
        assertEquals("100", db.scalar("SELECT count(*) FROM keys.notnull_unique"));
    }

    @Test
    @Timeout(60)
    void aTableWhoseRowTypeIsUsedElsewhereIsSkippedNamingTheUser() {
        db.execute("CREATE SCHEMA typed", "CREATE TABLE typed.t (id int PRIMARY KEY, v text)",
                "CREATE TABLE typed.history (at int PRIMARY KEY, r typed.t)",
                "INSERT INTO typed.t VALUES (1, 'one')", "INSERT INTO typed.history SELECT 1, t FROM typed.t");
        db.writeConfig(home, "default", "main", "tables = ['typed.t']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.contains("typed.t") && l.contains("skipped")
                && l.contains("column r of table typed.history uses the table's row type")), run::toString);
        assertEquals("one", db.scalar("SELECT (r).v FROM typed.history"));
    }

    @Test
    @Timeout(60)
    void aTableWithForcedRowLevelSecurityIsSkippedRatherThanCopiedPartially() {
        db.execute("CREATE SCHEMA rls", "CREATE TABLE rls.t (id int PRIMARY KEY, mine boolean)",
                "INSERT INTO rls.t SELECT i, i % 2 = 0 FROM generate_series(1, 100) i",
                "ALTER TABLE rls.t ENABLE ROW LEVEL SECURITY", "ALTER TABLE rls.t FORCE ROW LEVEL SECURITY",
                "CREATE POLICY only_mine ON rls.t USING (mine)");
        db.writeConfig(home, "default", "main", "schemas = ['rls']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.contains("rls.t") && l.contains("skipped")
                && l.contains("FORCE ROW LEVEL SECURITY")), run::toString);
        db.execute("ALTER TABLE rls.t NO FORCE ROW LEVEL SECURITY");
        assertEquals("100", db.scalar("SELECT count(*) FROM rls.t"));
    }

    @Test
    @Timeout(60)
    void anObjectRpclCannotRecreateSkipsTheTableBeforeAnyCopyNamingIt() {
        db.execute("CREATE SCHEMA atomic", "CREATE TABLE atomic.t (id int PRIMARY KEY)",
                "INSERT INTO atomic.t SELECT generate_series(1, 50)",
                "CREATE TABLE atomic.other (id int)",
                "CREATE FUNCTION atomic.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
                "CREATE CONSTRAINT TRIGGER other_check AFTER INSERT ON atomic.other FROM atomic.t FOR EACH ROW"
                        + " EXECUTE FUNCTION atomic.noop()");
        String before = db.scalar("SELECT 'atomic.t'::regclass::oid");
        db.writeConfig(home, "default", "main", "tables = ['atomic.t']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(l -> l.contains("atomic.t") && l.contains("skipped")
                && l.contains("trigger other_check on table atomic.other depends on table atomic.t")), run::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'sch_repnew'"), "no copy was made");
        assertEquals(before, db.scalar("SELECT 'atomic.t'::regclass::oid"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'atomic.t'::regclass AND tgname LIKE 'z_repcloud%'"));
    }

    @Test
    @Timeout(60)
    void withoutTheHelperSchemaRepackTablesSaysToRunCreateSchema() {
        try (TestDatabase empty = TestDatabase.create(TableSelectionTest.class)) {
            empty.writeConfig(home, "default", "main", "");
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().contains("Run: rpcl create_schema --connection main"), run::toString);
        }
    }

    @Test
    @Timeout(60)
    void aBadDeadlockResolutionIsRejectedWithTheKeyAndTheAllowedValues() {
        db.writeConfig(home, "default", "main", "deadlock_resolution = \"shoot\"");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("deadlock_resolution") && run.err().contains("cancel_query"), run::toString);
    }
}
