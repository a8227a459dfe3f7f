package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.SchemaDiff;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partitioned tables of the shapes pg_repack's and pg_squeeze's suites use, named in
 * {@code tables} as the application knows them: sub-partitions two levels deep, a CHECK
 * constraint and row triggers on the partitioned table (one of them disabled on a partition).
 * Every leaf is repacked while the application writes through the partitioned table and a twin
 * in the same transactions; pg_dump --schema-only is the same text and the table equals its twin.
 */
@Timeout(300)
class PartitionShapesRepackTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(PartitionShapesRepackTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Map<String, String> oids(List<String> tables) {
        Map<String, String> out = new LinkedHashMap<>();
        tables.forEach(t -> out.put(t, db.scalar("SELECT '" + t + "'::regclass::oid")));
        return out;
    }

    /**
     * A range-partitioned table with a default partition, which the application's new rows go
     * to: the default partition is guarded by a validated constraint before each swap, so that
     * ATTACH need not scan it under the lock, and the guard is gone afterwards.
     */
    /**
     * Repacks every leaf of {@code table} (named in tables) while the application writes it and
     * its twin: each leaf swapped, pg_dump the same, the table equal to its twin. Returns the rows
     * the application updated.
     */
    private long repackUnderTwinWorkload(String table, List<String> leaves) throws Exception {
        db.writeConfig(home, "default", "main", """
                tables = ['public.%s']
                max_replay_rows = 300
                lock_timeout = "1s"
                check_time = "1"
                """.formatted(table));
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        try (TwinWorkload app = new TwinWorkload(db, table, false, 3)) {
            app.start(3000);
            Thread.sleep(300);
            String dumpBefore = db.schemaDump();
            Map<String, String> before = oids(leaves);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            Map<String, String> after = oids(leaves);
            for (String leaf : leaves) {
                assertTrue(run.out().contains(leaf), run::toString);
                assertNotEquals(before.get(leaf), after.get(leaf), leaf + " was swapped");
            }
            SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump());
            db.assertEqualToTwin(table);
            return app.updatedRows.get();
        }
    }

    @Test
    void everyPartitionBesideADefaultPartitionAndTheDefaultItselfIsRepackedUnderConcurrentWrites() throws Exception {
        String cols = "(id bigint, tag text, u int, v text, n int NOT NULL DEFAULT 0, big text, PRIMARY KEY (id))";
        db.execute("CREATE TABLE rng " + cols + " PARTITION BY RANGE (id)",
                "CREATE TABLE rng_low PARTITION OF rng FOR VALUES FROM (MINVALUE) TO (1500)",
                "CREATE TABLE rng_mid PARTITION OF rng FOR VALUES FROM (1500) TO (2500)",
                "CREATE TABLE rng_rest PARTITION OF rng DEFAULT",
                "CREATE TABLE rng_twin " + cols);
        repackUnderTwinWorkload("rng", List.of("public.rng_low", "public.rng_mid", "public.rng_rest"));
        String log = java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
        assertTrue(log.contains("public.rng_low: default partition public.rng_rest checked to hold none of its rows"), log);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'rpcl%'"), "no guard is left");
        db.assertAmcheckClean();
    }

    @Test
    void aSwapThatFailsAfterTheDefaultPartitionWasGuardedLeavesNoGuardBehind() throws Exception {
        db.execute("CREATE TABLE lst (id int, k text, PRIMARY KEY (id, k)) PARTITION BY LIST (k)",
                "CREATE TABLE lst_eu PARTITION OF lst FOR VALUES IN ('eu', 'uk')",
                "CREATE TABLE lst_other PARTITION OF lst DEFAULT",
                "INSERT INTO lst SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 2000) g");
        db.writeConfig(home, "default", "main", "tables = ['public.lst_eu']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String before = db.scalar("SELECT 'public.lst_eu'::regclass::oid");
        TableResult result = FailingCarrier.repackFirstTable(home);
        assertEquals(TableResult.Status.FAILED, result.status(), result::toString);
        assertEquals(before, db.scalar("SELECT 'public.lst_eu'::regclass::oid"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'rpcl%'"), "the guard was removed");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
    }

    @Test
    void everyLeafOfASubPartitionedTableWithChecksAndTriggersIsRepackedUnderConcurrentWrites() throws Exception {
        String cols = "(id bigint, tag text, u int, v text, n int NOT NULL DEFAULT 0, big text, PRIMARY KEY (id))";
        db.execute("CREATE TABLE nest " + cols + " PARTITION BY HASH (id)",
                "ALTER TABLE nest ADD CONSTRAINT nest_n_sane CHECK (n > -1000000)",
                "CREATE TABLE nest_p0 PARTITION OF nest FOR VALUES WITH (MODULUS 2, REMAINDER 0) PARTITION BY HASH (id)",
                "CREATE TABLE nest_p0_a PARTITION OF nest_p0 FOR VALUES WITH (MODULUS 4, REMAINDER 0)",
                "CREATE TABLE nest_p0_b PARTITION OF nest_p0 FOR VALUES WITH (MODULUS 4, REMAINDER 2)",
                "CREATE TABLE nest_p1 PARTITION OF nest FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
                "ALTER TABLE nest_p1 ADD CONSTRAINT nest_p1_v_len CHECK (length(v) < 100)",
                "CREATE INDEX ON nest (v)",
                "CREATE TABLE nest_twin " + cols,
                "CREATE TABLE trigger_firings (tbl text)",
                "CREATE FUNCTION count_firing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "INSERT INTO trigger_firings VALUES (TG_TABLE_NAME); RETURN NEW; END $$",
                "CREATE TRIGGER nest_counted BEFORE UPDATE ON nest FOR EACH ROW EXECUTE FUNCTION count_firing()",
                "CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
                "CREATE TRIGGER nest_quiet AFTER DELETE ON nest FOR EACH ROW EXECUTE FUNCTION noop()",
                "ALTER TABLE nest_p1 DISABLE TRIGGER nest_quiet",
                "COMMENT ON TRIGGER nest_counted ON nest_p0_a IS 'the clone on one leaf'");
        long updated = repackUnderTwinWorkload("nest", List.of("public.nest_p0_a", "public.nest_p0_b", "public.nest_p1"));
        assertEquals(Long.toString(updated), db.scalar("SELECT count(*) FROM trigger_firings"),
                "the parent's BEFORE UPDATE trigger fired once per row updated, on every leaf, before and after");
        assertEquals("D", db.scalar("SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'nest_p1'::regclass AND tgname = 'nest_quiet'"));
        db.assertAmcheckClean();
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace IN "
                + "('sch_repnew'::regnamespace, 'sch_repdrop'::regnamespace)"), "nothing left in the helper schemas");
    }

    /**
     * A foreign key of the partitioned table: each copy gets it before the swap, validated, and
     * ATTACH takes it over as it is. Had ATTACH added its own, the copy's key would be left beside
     * it, and pg_dump would show it.
     */
    @Test
    void everyPartitionOfATableWithAForeignKeyIsRepackedAndAttachTakesOverTheCopysKey() throws Exception {
        db.execute(TwinWorkload.partitionedSchema("fkp"));
        db.execute("CREATE TABLE kinds (k int PRIMARY KEY)",
                "INSERT INTO kinds SELECT generate_series(0, 100000)",
                "ALTER TABLE fkp ADD CONSTRAINT fkp_n_kind FOREIGN KEY (n) REFERENCES kinds ON DELETE CASCADE",
                // One to a partitioned table too: its clones per referenced partition stay with it.
                "CREATE TABLE u_values (u int PRIMARY KEY) PARTITION BY RANGE (u)",
                "CREATE TABLE u_values_low PARTITION OF u_values FOR VALUES FROM (0) TO (1000000)",
                "CREATE TABLE u_values_high PARTITION OF u_values FOR VALUES FROM (1000000) TO (20000000)",
                "INSERT INTO u_values SELECT generate_series(0, 100000) UNION ALL SELECT generate_series(10000000, 10100000)",
                "ALTER TABLE fkp ADD CONSTRAINT fkp_u_known FOREIGN KEY (u) REFERENCES u_values");
        repackUnderTwinWorkload("fkp", List.of("public.fkp_p0", "public.fkp_p1"));
        String log = java.nio.file.Files.readString(home.resolve("logs/repack_default.log"));
        assertTrue(log.contains("public.fkp_p0: the copy was given its partitioned table's 2 foreign key(s), validated"), log);
        assertEquals("4", db.scalar("SELECT count(*) FROM pg_constraint k JOIN pg_constraint p ON p.oid = k.conparentid"
                + " WHERE k.conname IN ('fkp_n_kind', 'fkp_u_known') AND p.conrelid = 'fkp'::regclass"
                + " AND k.convalidated AND k.conrelid IN ('fkp_p0'::regclass, 'fkp_p1'::regclass)"));
        db.assertAmcheckClean();
    }
}
