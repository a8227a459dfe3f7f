package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * A nightly repack_tables from cron: only tables worth it are rewritten (min_gain,
 * min_gain_ratio), a healthy table does not make the run fail, exclusions keep tables out, and a
 * misspelled schema or table stops the run with exit 2 before anything is touched.
 */
@Timeout(120)
class UnattendedRunTest {
    /** One database per test: each repacks some of the same tables. */
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(UnattendedRunTest.class);
        db.execute("CREATE SCHEMA unat", "CREATE SCHEMA unat_logs");
        for (String t : new String[] {"unat.healthy", "unat.bloated", "unat.skip_me", "unat_logs.events"}) {
            db.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text)",
                    "INSERT INTO " + t + " SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g");
        }
        for (String t : new String[] {"unat.bloated", "unat.skip_me", "unat_logs.events"}) {
            db.execute("DELETE FROM " + t + " WHERE id % 10 < 6");
        }
        db.execute("CREATE TABLE unat.no_key (v text)");
        db.execute("ANALYZE");
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    @Test
    void aHealthyTableIsLeftAloneAndTheRunSucceedsWhileABloatedOneIsRepacked() {
        db.writeConfig(home, "default", "main", """
                tables = ['unat.healthy', 'unat.bloated']
                min_gain = "64kB"
                min_gain_ratio = "20%"
                check_time = "0"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String healthy = oid("unat.healthy");
        String bloated = oid("unat.bloated");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(healthy, oid("unat.healthy"), "the healthy table was not rewritten");
        assertNotEquals(bloated, oid("unat.bloated"), () -> "the bloated table was repacked: " + run);
        assertTrue(run.out().lines().anyMatch(l -> l.contains("unat.healthy") && l.contains("healthy")
                && l.contains("is under min_gain")), run::toString);
        assertTrue(run.out().contains("1 repacked, 1 healthy"), run::toString);
    }

    @Test
    void tableConfSetsThresholdsForEveryTableASchemaOrOneTableOverTheConnections() throws Exception {
        db.writeConfig(home, "default", "main", "tables = ['unat.healthy', 'unat.bloated']\ncheck_time = \"0\"");
        java.nio.file.Files.createDirectories(home.resolve("config/table_conf"));
        java.nio.file.Files.writeString(home.resolve("config/table_conf/default_main.toml"), """
                [storage]
                min_gain = "1GB"
                [storage.unat.healthy]
                min_gain = 0
                min_gain_ratio = "0%"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String healthy = oid("unat.healthy");
        String bloated = oid("unat.bloated");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(healthy, oid("unat.healthy"), "its own thresholds, 0, let it be repacked");
        assertEquals(bloated, oid("unat.bloated"), "min_gain 1GB of [storage] keeps it");
        assertTrue(run.out().lines().anyMatch(l -> l.contains("unat.bloated") && l.contains("healthy")
                && l.contains("under min_gain 1.0 GB") && l.contains("(table_conf)")), run::toString);
    }

    @Test
    void excludedSchemasAndTablesAreNeitherRepackedNorListed() {
        db.writeConfig(home, "default", "main", """
                exclude_schemas = ['unat_l*']
                exclude_tables = ['unat.skip_*', 'unat.no_key', 'public.*']
                check_time = "0"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String skipped = oid("unat.skip_me");
        String events = oid("unat_logs.events");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(skipped, oid("unat.skip_me"));
        assertEquals(events, oid("unat_logs.events"));
        assertFalse(run.out().contains("skip_me") || run.out().contains("unat_logs") || run.out().contains("no_key"), run::toString);
        assertTrue(run.out().contains("unat.bloated") && run.out().contains("unat.healthy"), run::toString);
    }

    @Test
    void aMisspelledTableOrSchemaStopsTheRunWithExit2BeforeAnythingIsTouched() {
        db.writeConfig(home, "default", "main", """
                schemas = ['unat_log']
                tables = ['unat.bloated', 'unat.blaoted']
                check_time = "0"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String bloated = oid("unat.bloated");
        String states = db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack");
        for (String command : new String[] {"repack_tables", "prepare_repack"}) {
            CliRun run = CliRun.run(home, command);
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains("schema unat_log") && run.err().contains("table unat.blaoted"), run::toString);
            assertEquals(bloated, oid("unat.bloated"));
            assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
            assertEquals(states, db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
        }
    }

    @Test
    void quietPrintsNothingWhenAllWentWellAndOneLinePerProblemOnStandardError() {
        db.writeConfig(home, "default", "main", "tables = ['unat.bloated']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun ok = CliRun.run(home, "repack_tables", "--quiet");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertEquals("", ok.out().strip(), ok::toString);
        assertEquals("", ok.err().strip(), ok::toString);

        db.writeConfig(home, "default", "main", "tables = ['unat.bloated', 'unat.no_key']\ncheck_time = \"0\"");
        CliRun partial = CliRun.run(home, "repack_tables", "--quiet");
        assertEquals(3, partial.exitCode(), partial::toString);
        assertEquals("", partial.out().strip(), partial::toString);
        assertEquals(java.util.List.of("rpcl: skipped: unat.no_key (connection main): it has no primary key and no unique, valid,"
                + " non-partial index on NOT NULL columns to identify its rows; add a primary key to repack it, or list it in exclude_tables"),
                partial.err().lines().toList());
    }

    @Test
    void aPreparedTableIsSwappedWhateverTheThresholdsSay() {
        db.execute("CREATE TABLE unat.prepared (id int PRIMARY KEY, v text)",
                "INSERT INTO unat.prepared SELECT g, md5(g::text) FROM generate_series(1, 2000) g", "ANALYZE unat.prepared");
        db.writeConfig(home, "default", "main", "tables = ['unat.prepared']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        String before = oid("unat.prepared");
        db.writeConfig(home, "default", "main", "tables = ['unat.prepared']\ncheck_time = \"0\"\nmin_gain = \"1GB\"");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(before, oid("unat.prepared"), "the prepared copy was swapped in");
    }
}
