package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.SchemaDiff;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables in an inheritance tree, parent and children, of the shapes pg_repack's suite and real
 * schemas have: children declared with INHERITS, a child made on its own and attached with
 * INHERIT (every column its own and inherited, in its own order), a grandchild, a child of two
 * parents, columns and a NOT VALID check the parent gained after its children. Every one is
 * repacked while the application writes through the parent (its rows spread over the children) and
 * a twin in the same transactions: pg_dump --schema-only is the same text (it lists a child's own
 * columns and constraints apart from inherited ones), the tree equals its twin, amcheck is clean.
 */
@Timeout(300)
class InheritanceRepackTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(InheritanceRepackTest.class);
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

    /** The warnings and errors of the run's log. */
    private String problems() {
        try {
            return java.nio.file.Files.readAllLines(home.resolve("logs/repack_default.log")).stream()
                    .filter(l -> l.contains("WARN") || l.contains("ERROR")).collect(java.util.stream.Collectors.joining("\n"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** Moves the parent's rows whose id is {@code rest} modulo 5 to {@code child}. */
    private static String moveRows(String child, int rest) {
        return "WITH moved AS (DELETE FROM ONLY inh WHERE id % 5 = " + rest + " RETURNING *) INSERT INTO " + child
                + " (id, u, v, n, big) SELECT id, u, v, n, big FROM moved";
    }

    @Test
    void everyTableOfAnInheritanceTreeIsRepackedUnderWritesThroughTheParentAndKeepsWhatItInherits() throws Exception {
        String cols = "(id bigint PRIMARY KEY, u int UNIQUE, v text, n int NOT NULL DEFAULT 0, big text)";
        db.execute("CREATE TABLE inh " + cols,
                "ALTER TABLE inh ADD CONSTRAINT inh_n_sane CHECK (n > -1000000)",
                "CREATE TABLE inh_twin " + cols,
                "CREATE TABLE tagged (label text DEFAULT 'none', CONSTRAINT tagged_label CHECK (label <> ''))",
                // Declared with INHERITS: a column of its own, one both its own and inherited.
                "CREATE TABLE inh_a (extra text DEFAULT 'a', v text, PRIMARY KEY (id)) INHERITS (inh)",
                // Made on its own, then attached: every column its own, in its own order.
                "CREATE TABLE inh_b (big text, id bigint NOT NULL, u int, v text, n int NOT NULL DEFAULT 0,"
                        + " b_own int CHECK (b_own > 0), PRIMARY KEY (id))",
                "ALTER TABLE inh_b ADD CONSTRAINT inh_n_sane CHECK (n > -1000000)",
                "ALTER TABLE inh_b INHERIT inh",
                "CREATE TABLE inh_a_1 (PRIMARY KEY (id)) INHERITS (inh_a)",
                // Two parents, the repacked one last.
                "CREATE TABLE inh_m (PRIMARY KEY (id)) INHERITS (tagged, inh)",
                // Gained by the parent later: reaches the children inherited, after their own columns.
                "ALTER TABLE inh ADD COLUMN late int",
                "ALTER TABLE inh_twin ADD COLUMN late int",
                "ALTER TABLE inh ADD CONSTRAINT inh_late_nv CHECK (late IS DISTINCT FROM -1) NOT VALID",
                "CREATE INDEX ON inh_a (v)",
                "CREATE VIEW inh_all AS SELECT id, v FROM inh");
        List<String> tables = List.of("public.inh", "public.inh_a", "public.inh_b", "public.inh_a_1", "public.inh_m");
        db.writeConfig(home, "default", "main", """
                tables = ['public.inh', 'public.inh_a', 'public.inh_b', 'public.inh_a_1', 'public.inh_m']
                max_replay_rows = 300
                lock_timeout = "1s"
                check_time = "1"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        try (TwinWorkload app = new TwinWorkload(db, "inh", false, 3)) {
            app.start(4000, moveRows("inh_a", 1), moveRows("inh_b", 2), moveRows("inh_a_1", 3), moveRows("inh_m", 4));
            Thread.sleep(300);
            String dumpBefore = db.schemaDump();
            Map<String, String> before = oids(tables);
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), () -> run + "\n" + problems());
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertTrue(app.updatedRows.get() > 0, "the application updated rows during the repack");
            Map<String, String> after = oids(tables);
            List<String> notSwapped = new ArrayList<>();
            tables.stream().filter(t -> before.get(t).equals(after.get(t))).forEach(notSwapped::add);
            assertEquals(List.of(), notSwapped, run::toString);
            SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump());
            // Each differing row with where it is in the tree, and the twin's version of it.
            assertEquals(null, db.scalar("SELECT string_agg(format('%s in %s, twin %s', x.id, x.tableoid::regclass,"
                    + " (SELECT w::text FROM inh_twin w WHERE w.id = x.id)), '; ') FROM inh x"
                    + " WHERE (x.id, x.u, x.v, x.n, x.big, x.late) IS DISTINCT FROM (SELECT (w.id, w.u, w.v, w.n, w.big, w.late)"
                    + " FROM inh_twin w WHERE w.id = x.id)"));
            db.assertEqualToTwin("inh");
        }
        assertTrue(Integer.parseInt(db.scalar("SELECT count(*) FROM ONLY inh_b")) > 0, "the children kept their rows");
        assertEquals("tagged, inh", db.scalar("SELECT string_agg(inhparent::regclass::text, ', ' ORDER BY inhseqno)"
                + " FROM pg_inherits WHERE inhrelid = 'inh_m'::regclass"), "a child's parents stay in their order");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        db.assertAmcheckClean();
    }

    @Test
    void aChildWhoseSwapFailsIsLeftUnderItsParentWithNothingOfRpclsBehind() throws Exception {
        db.execute("CREATE TABLE base (id int PRIMARY KEY, v text)",
                "CREATE TABLE base_child (w int, PRIMARY KEY (id)) INHERITS (base)",
                "INSERT INTO base_child SELECT g, md5(g::text), g FROM generate_series(1, 2000) g");
        db.writeConfig(home, "default", "main", "tables = ['public.base_child']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String dumpBefore = db.schemaDump();
        String before = db.scalar("SELECT 'public.base_child'::regclass::oid");
        TableResult result = FailingCarrier.repackFirstTable(home);
        assertEquals(TableResult.Status.FAILED, result.status(), result::toString);
        assertEquals(before, db.scalar("SELECT 'public.base_child'::regclass::oid"));
        assertEquals("base", db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = 'base_child'::regclass"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"),
                "the copy and its stand-in parent are gone");
        SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump());
        assertNotEquals("0", db.scalar("SELECT count(*) FROM base"));
    }
}
