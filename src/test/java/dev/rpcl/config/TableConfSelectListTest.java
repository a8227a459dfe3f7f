package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated SELECT list run against real tables, as the engine runs it in the copy and the
 * replay: the values that land in the copy are the cleaned ones, the others pass untouched.
 */
class TableConfSelectListTest {
    static TestDatabase db;
    private static final Path FILE = Path.of("/tmp/table_conf/default_main.toml");

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TableConfSelectListTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static List<TableColumn> columns(String schema, String table) throws Exception {
        try (Connection c = db.ownerConnection()) {
            return TableConfCheck.columns(c, schema, table).orElseThrow();
        }
    }

    /** Copies {@code original} into an empty twin through the select list, the way the engine's copy does. */
    private static void copyThrough(TableSettings settings, String schema, String table, String copy) throws Exception {
        List<TableColumn> cols = columns(schema, table);
        db.execute("CREATE TABLE " + dev.rpcl.db.Sql.qualified(schema, copy) + " (LIKE "
                        + dev.rpcl.db.Sql.qualified(schema, table) + ")",
                "INSERT INTO " + dev.rpcl.db.Sql.qualified(schema, copy) + " (" + TableSettings.columnList(cols) + ") SELECT "
                        + settings.selectList(cols, null) + " FROM " + dev.rpcl.db.Sql.qualified(schema, table));
    }

    @Test
    void cleanupNullsStripsNullValuedKeysFromJsonAndJsonbAtEveryObjectLevelButNotInArrays() throws Exception {
        db.execute("CREATE TABLE docs (id int PRIMARY KEY, j json, jb jsonb, untouched jsonb)",
                """
                INSERT INTO docs VALUES
                  (1, '{"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]}',
                      '{"a": null, "b": {"c": null, "d": 1}, "e": [null, {"f": null}]}',
                      '{"a": null}'),
                  (2, 'null', 'null', NULL),
                  (3, NULL, NULL, '[null]'),
                  (4, '[1, null]', '"text"', '5'),
                  (5, '{"keep": "x",   "drop": null}', '{}', '{}')
                """);
        TableSettings settings = TableConf.parse(FILE, """
                [public.docs]
                j.cleanup_nulls = true
                jb.cleanup_nulls = true
                """).settingsFor("public", "docs");
        copyThrough(settings, "public", "docs", "docs_copy");

        assertEquals(List.of(
                List.of("1", "{\"b\":{\"d\":1},\"e\":[null,{}]}", "{\"b\": {\"d\": 1}, \"e\": [null, {}]}", "{\"a\": null}"),
                java.util.Arrays.asList("2", "null", "null", null),
                java.util.Arrays.asList("3", null, null, "[null]"),
                // json_strip_nulls rewrites json text without insignificant whitespace.
                List.of("4", "[1,null]", "\"text\"", "5"),
                List.of("5", "{\"keep\":\"x\"}", "{}", "{}")),
                db.query("SELECT id::text, j::text, jb::text, untouched::text FROM docs_copy ORDER BY id"));
    }

    @Test
    void removeKeysRemovesTopLevelKeysFromJsonbObjectsAndLeavesOtherValuesAlone() throws Exception {
        db.execute("CREATE TABLE events (id int PRIMARY KEY, payload jsonb)",
                """
                INSERT INTO events VALUES
                  (1, '{"token": "s3cret", "it''s": 1, "back\\\\slash": 2, "keep": {"token": "nested"}, "x": null}'),
                  (2, '"token"'),
                  (3, '["token", "keep"]'),
                  (4, '42'),
                  (5, NULL),
                  (6, '{"other": true}')
                """);
        TableSettings settings = TableConf.parse(FILE, """
                [public.events]
                payload.remove_keys = ["token", "it's", 'back\\slash']
                """).settingsFor("public", "events");
        copyThrough(settings, "public", "events", "events_copy");

        assertEquals(List.of(
                List.of("1", "{\"x\": null, \"keep\": {\"token\": \"nested\"}}"),
                List.of("2", "\"token\""),
                List.of("3", "[\"token\", \"keep\"]"),
                List.of("4", "42"),
                java.util.Arrays.asList("5", null),
                List.of("6", "{\"other\": true}")),
                db.query("SELECT id::text, payload::text FROM events_copy ORDER BY id"));
    }

    @Test
    void selectListQuotesOddNamesAndQualifiesWithTheReplayAlias() throws Exception {
        db.execute("CREATE SCHEMA \"my schema\"",
                "CREATE TABLE \"my schema\".\"t.1\" (\"Id\" int PRIMARY KEY, \"my.col\" jsonb, \"say \"\"hi\"\"\" json, plain text)",
                "INSERT INTO \"my schema\".\"t.1\" VALUES (1, '{\"a\": null, \"k\": 1}', '{\"b\": null}', 'p'), (2, '{\"k\": 2}', '{}', 'q')",
                "CREATE TABLE batch_keys (\"Id\" int)",
                "INSERT INTO batch_keys VALUES (2)");
        TableSettings settings = TableConf.parse(FILE, """
                ["my schema"."t.1"]
                "my.col".remove_keys = ["k"]
                'say "hi"'.cleanup_nulls = true
                """).settingsFor("my schema", "t.1");
        List<TableColumn> cols = columns("my schema", "t.1");
        assertEquals("\"o\".\"Id\", CASE WHEN jsonb_typeof(\"o\".\"my.col\") = 'object' THEN \"o\".\"my.col\" - ARRAY['k']::text[] "
                + "ELSE \"o\".\"my.col\" END, json_strip_nulls(\"o\".\"say \"\"hi\"\"\"), \"o\".\"plain\"", settings.selectList(cols, "o"));

        // The replay re-reads the current rows of a batch of keys through the same list.
        db.execute("CREATE TABLE \"my schema\".copy (LIKE \"my schema\".\"t.1\")",
                "INSERT INTO \"my schema\".copy (" + TableSettings.columnList(cols) + ") SELECT " + settings.selectList(cols, "o")
                        + " FROM \"my schema\".\"t.1\" o JOIN batch_keys k ON k.\"Id\" = o.\"Id\"");
        assertEquals(List.of(List.of("2", "{}", "{}", "q")),
                db.query("SELECT \"Id\"::text, \"my.col\"::text, \"say \"\"hi\"\"\"::text, plain FROM \"my schema\".copy"));
    }

    @Test
    void ruleOnAColumnOfTheWrongTypeNeverReachesTheSql() {
        TableSettings settings = TableConf.parse(FILE, "[public.t]\nbody.remove_keys = [\"a\"]\nnote.cleanup_nulls = true\n")
                .settingsFor("public", "t");
        RpclException json = assertThrows(RpclException.class, () -> settings.selectExpression("body", "json", null));
        assertTrue(json.getMessage().contains("remove_keys needs a jsonb column, but body is json"), json::getMessage);
        RpclException text = assertThrows(RpclException.class, () -> settings.selectExpression("note", "text", null));
        assertTrue(text.getMessage().contains("cleanup_nulls needs a json or jsonb column, but note is text"), text::getMessage);
        assertEquals("\"other\"", settings.selectExpression("other", "text", null));
    }

    @Test
    void copyCreatedWithTheStorageOptionsKeepsTheConfiguredFillfactor() throws Exception {
        db.execute("CREATE TABLE filled (id int PRIMARY KEY, v text) WITH (fillfactor = 90, autovacuum_enabled = false)");
        TableSettings settings = TableConf.parse(FILE, "[storage]\nfillfactor = 100\n[storage.public.filled]\nfillfactor = 30\n")
                .settingsFor("public", "filled");
        Map<String, String> options = settings.storageOptions(Map.of("fillfactor", "90", "autovacuum_enabled", "false"));
        db.execute("CREATE TABLE filled_copy (LIKE filled) WITH (" + options.entrySet().stream()
                .map(e -> e.getKey() + " = " + e.getValue()).sorted().collect(Collectors.joining(", ")) + ")");
        assertEquals("{autovacuum_enabled=false,fillfactor=30}",
                db.scalar("SELECT array(SELECT unnest(reloptions) ORDER BY 1)::text FROM pg_class WHERE oid = 'public.filled_copy'::regclass"));

        // A fillfactor of 30 leaves 70% of each page free: the same rows need about three times the pages.
        db.execute("CREATE TABLE packed (id int PRIMARY KEY, v text)",
                "INSERT INTO packed SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g",
                "INSERT INTO filled_copy SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g");
        long packed = Long.parseLong(db.scalar("SELECT pg_relation_size('public.packed') / 8192"));
        long filled = Long.parseLong(db.scalar("SELECT pg_relation_size('public.filled_copy') / 8192"));
        assertTrue(filled >= packed * 5 / 2, "pages with fillfactor 30: " + filled + ", with 100: " + packed);
    }

    @Test
    void cleanupExpressionUsesTheCallersColumnReference() {
        TableSettings settings = TableConf.parse(FILE, "[public.t]\ndoc.cleanup_nulls = true\n").settingsFor("public", "t");
        assertEquals("jsonb_strip_nulls(o.\"doc\")", settings.cleanupExpression("doc", "jsonb", "o.\"doc\""));
        assertEquals("o.\"id\"", settings.cleanupExpression("id", "integer", "o.\"id\""));
    }
}
