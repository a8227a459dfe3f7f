package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
 * A key of a type whose equality operator lives in a schema that is not on rpcl's search_path,
 * as hosted databases install extensions into a schema of their own: the tables are keyed by
 * ltree from the schema ext. The application reaches ext through its own search_path; rpcl's
 * role does not have it on its path.
 */
class KeyOutsideSearchPathTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(KeyOutsideSearchPathTest.class);
        db.executeAsAdmin("CREATE SCHEMA ext", "CREATE EXTENSION ltree SCHEMA ext", "GRANT USAGE ON SCHEMA ext TO " + db.owner());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    private void prepare(String table) {
        db.writeConfig(home, "default", "main", "tables = ['" + table + "']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "prepare_repack");
        assertEquals(0, run.exitCode(), run::toString);
    }

    /** repack_tables swaps the table in, with the rows {@code rows} read before. */
    private void repackKeepsTheRows(String table, String rows) {
        List<List<String>> expected = db.query(rows);
        String before = oid(table);
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(before, oid(table), "swapped");
        assertEquals(expected, db.query(rows));
    }

    @Test
    @Timeout(120)
    void changesToATableKeyedByAnExtensionTypeOffThePathAreReplayed() {
        db.execute("CREATE TABLE public.paths (k ext.ltree PRIMARY KEY, v text)",
                "INSERT INTO public.paths SELECT ('top.n' || i)::ext.ltree, 'v' || i FROM generate_series(1, 3000) i",
                "DELETE FROM public.paths WHERE v LIKE '%3'");
        prepare("public.paths");
        // The application's writes, with ext on its own path; the replay then compares these keys.
        db.execute("SET search_path = public, ext",
                "UPDATE paths SET v = 'changed' WHERE v LIKE '%1'",
                "UPDATE paths SET k = 'moved.n2' WHERE k = 'top.n2'",
                "DELETE FROM paths WHERE k = 'top.n4'",
                "INSERT INTO paths VALUES ('new.n1', 'inserted')");
        repackKeepsTheRows("public.paths", "SELECT k::text, v FROM public.paths ORDER BY 1");
    }

    @Test
    @Timeout(120)
    void theApplicationCanChangeAKeyOfAPartitionWhileItIsPrepared() {
        db.execute("CREATE TABLE public.tree (k ext.ltree NOT NULL, part int NOT NULL, v text, PRIMARY KEY (k, part))"
                        + " PARTITION BY LIST (part)",
                "CREATE TABLE public.tree_1 PARTITION OF public.tree FOR VALUES IN (1)",
                "CREATE TABLE public.tree_2 PARTITION OF public.tree FOR VALUES IN (2)",
                "INSERT INTO public.tree SELECT ('top.n' || i)::ext.ltree, 1 + i % 2, 'v' || i FROM generate_series(1, 3000) i");
        prepare("public.tree_1");
        // Row triggers log each row: the key comparison in them ran with a pinned search_path
        // and failed the application's UPDATE with "operator does not exist: ext.ltree = ext.ltree".
        db.execute("SET search_path = public, ext",
                "UPDATE tree SET k = 'moved.n2' WHERE k = 'top.n2' AND part = 1",
                "UPDATE tree SET v = 'changed' WHERE part = 1 AND v LIKE '%8'",
                "DELETE FROM tree WHERE k = 'top.n4'");
        repackKeepsTheRows("public.tree_1", "SELECT k::text, part, v FROM public.tree_1 ORDER BY 1");
    }
}
