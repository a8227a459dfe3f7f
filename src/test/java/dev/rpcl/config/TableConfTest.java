package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableConfTest {
    private static final Path FILE = Path.of("/home/dba/.repcloud/config/table_conf/default_main.toml");

    private static TableConf parse(String toml) {
        return TableConf.parse(FILE, toml);
    }

    private static OptionalInt ff(TableConf conf, String schema, String table) {
        return conf.settingsFor(schema, table).fillfactor();
    }

    private static RpclException rejects(String toml) {
        return assertThrows(RpclException.class, () -> parse(toml));
    }

    @Test
    void globalFillfactorAppliesToEveryTable() {
        TableConf conf = parse("[storage]\nfillfactor = 70\n");
        assertEquals(OptionalInt.of(70), ff(conf, "public", "orders"));
        assertEquals(OptionalInt.of(70), ff(conf, "sales", "items"));
        assertEquals("[storage]", conf.settingsFor("public", "orders").fillfactorSection());
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
    }

    @Test
    void schemaFillfactorAloneAppliesOnlyToThatSchema() {
        // repcloud only honoured [storage.SCHEMA] when [storage] also had a fillfactor; rpcl does not need it.
        TableConf conf = parse("[storage.sales]\nfillfactor = 80\n");
        assertEquals(OptionalInt.of(80), ff(conf, "sales", "items"));
        assertEquals(OptionalInt.empty(), ff(conf, "public", "orders"));
    }

    @Test
    void tableFillfactorAloneAppliesOnlyToThatTable() {
        TableConf conf = parse("[storage.sales.items]\nfillfactor = 30\n");
        assertEquals(OptionalInt.of(30), ff(conf, "sales", "items"));
        assertEquals(OptionalInt.empty(), ff(conf, "sales", "other"));
        assertEquals(OptionalInt.empty(), ff(conf, "public", "items"));
    }

    @Test
    void mostSpecificFillfactorWinsWhenLevelsAreCombined() {
        TableConf conf = parse("""
                [storage]
                fillfactor = 100
                [storage.foo]
                fillfactor = 80
                [storage.foo.bar]
                fillfactor = 30
                [storage.baz.qux]
                fillfactor = 50
                """);
        assertEquals(OptionalInt.of(30), ff(conf, "foo", "bar"));
        assertEquals(OptionalInt.of(80), ff(conf, "foo", "other"));
        assertEquals(OptionalInt.of(50), ff(conf, "baz", "qux"));
        assertEquals(OptionalInt.of(100), ff(conf, "baz", "other"));
        assertEquals(OptionalInt.of(100), ff(conf, "public", "t"));
        assertEquals("[storage.foo.bar]", conf.settingsFor("foo", "bar").fillfactorSection());
        assertEquals("[storage.foo]", conf.settingsFor("foo", "x").fillfactorSection());
    }

    @Test
    void fillfactorWrittenAsStringIsAcceptedAsRepcloudWroteValues() {
        assertEquals(OptionalInt.of(40), ff(parse("[storage]\nfillfactor = \"40\"\n"), "a", "b"));
    }

    @Test
    void configuredFillfactorReplacesTheOriginalsInTheCopysStorageOptions() {
        TableSettings s = parse("[storage]\nfillfactor = 60\n").settingsFor("public", "t");
        assertEquals(Map.of("fillfactor", "60", "autovacuum_enabled", "false"),
                s.storageOptions(Map.of("fillfactor", "90", "autovacuum_enabled", "false")));
        assertEquals(Map.of("fillfactor", "60"), s.storageOptions(Map.of()));
        Map<String, String> original = Map.of("fillfactor", "90");
        assertEquals(original, parse("").settingsFor("public", "t").storageOptions(original));
    }

    @Test
    void fillfactorOutsideTenToHundredIsRejectedNamingFileAndSection() {
        for (String bad : List.of("9", "101", "0", "-5", "\"abc\"", "55.5", "true")) {
            RpclException e = rejects("[storage.foo.bar]\nfillfactor = " + bad + "\n");
            assertEquals(RpclException.Kind.BAD_INPUT, e.kind());
            assertTrue(e.getMessage().contains(FILE.toString()), e::getMessage);
            assertTrue(e.getMessage().contains("section [storage.foo.bar]"), e::getMessage);
            assertTrue(e.getMessage().contains("from 10 to 100"), e::getMessage);
        }
        RpclException global = rejects("[storage]\nfillfactor = 5\n");
        assertTrue(global.getMessage().contains("Bad value 5 for fillfactor in section [storage] of " + FILE), global::getMessage);
        assertEquals(OptionalInt.of(10), ff(parse("[storage]\nfillfactor = 10\n"), "a", "b"));
        assertEquals(OptionalInt.of(100), ff(parse("[storage]\nfillfactor = 100\n"), "a", "b"));
    }

    @Test
    void repcloudsOldFillfactorInTableSectionIsUsedWithAWarning() {
        TableConf conf = parse("[foo.bar]\nfillfactor = 20\n");
        assertEquals(OptionalInt.of(20), ff(conf, "foo", "bar"));
        assertEquals(1, conf.warnings().size());
        assertTrue(conf.warnings().get(0).contains("[storage.foo.bar]"), conf.warnings()::toString);
        // The table level beats the schema level whichever form it is written in.
        assertEquals(OptionalInt.of(20), ff(parse("[storage.foo]\nfillfactor = 90\n[foo.bar]\nfillfactor = 20\n"), "foo", "bar"));
    }

    @Test
    void twoDifferentFillfactorsForOneTableAreRejected() {
        RpclException e = rejects("[storage.foo.bar]\nfillfactor = 30\n[foo.bar]\nfillfactor = 20\n");
        assertTrue(e.getMessage().contains("30 in [storage.foo.bar] and 20 in [foo.bar]"), e::getMessage);
        TableConf same = parse("[storage.foo.bar]\nfillfactor = 30\n[foo.bar]\nfillfactor = 30\n");
        assertEquals(OptionalInt.of(30), ff(same, "foo", "bar"));
        assertEquals(1, same.warnings().size());
    }

    @Test
    void jsonRulesAreReadPerColumnOfTheTableSection() {
        TableConf conf = parse("""
                [public.foobar]
                foo.cleanup_nulls = true
                bar.remove_keys = [ "key1", "key2" ]
                baz.cleanup_nulls = "no"
                """);
        TableSettings s = conf.settingsFor("public", "foobar");
        assertEquals(new ColumnRule("foo", "[public.foobar]", true, List.of()), s.rules().get("foo"));
        assertEquals(List.of("key1", "key2"), s.rules().get("bar").removeKeys());
        assertFalse(s.rules().get("baz").changesValues());
        assertTrue(conf.settingsFor("public", "other").rules().isEmpty());
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
        assertEquals(OptionalInt.empty(), s.fillfactor());
    }

    @Test
    void quotedSectionNamesReachSchemasTablesAndColumnsWithDotsAndSpaces() {
        TableConf conf = parse("""
                ["my schema"."t.1"]
                "my.col".cleanup_nulls = true
                [storage."my schema"."t.1"]
                fillfactor = 45
                """);
        TableSettings s = conf.settingsFor("my schema", "t.1");
        assertTrue(s.rules().get("my.col").cleanupNulls());
        assertEquals("[\"my schema\".\"t.1\"]", s.rules().get("my.col").section());
        assertEquals(OptionalInt.of(45), s.fillfactor());
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
    }

    @Test
    void unquotedDottedTableNameIsWarnedAboutWithTheQuotingHint() {
        TableConf conf = parse("[public.t.1]\npayload.cleanup_nulls = true\n");
        assertTrue(conf.settingsFor("public", "t.1").isDefault());
        assertTrue(conf.warnings().stream().anyMatch(w -> w.contains("[public.t.1]") && w.contains("[public.\"t.1\"]")),
                conf.warnings()::toString);
    }

    @Test
    void cleanupNullsWinsOverRemoveKeysWithAWarning() {
        TableConf conf = parse("[public.t]\ndoc.cleanup_nulls = true\ndoc.remove_keys = [\"a\"]\n");
        ColumnRule rule = conf.settingsFor("public", "t").rules().get("doc");
        assertTrue(rule.cleanupNulls());
        assertEquals(List.of(), rule.effectiveRemoveKeys());
        assertTrue(conf.warnings().get(0).contains("cleanup_nulls wins"), conf.warnings()::toString);
        assertEquals("jsonb_strip_nulls(\"doc\")", conf.settingsFor("public", "t").selectExpression("doc", "jsonb", null));
    }

    @Test
    void jsonRulesForATableInASchemaNamedStorageSitBesideTheStorageSettings() {
        TableConf conf = parse("""
                [storage]
                fillfactor = 90
                [storage.events]
                payload.remove_keys = ["secret"]
                """);
        assertEquals(List.of("secret"), conf.settingsFor("storage", "events").rules().get("payload").removeKeys());
        assertEquals("[storage.events]", conf.settingsFor("storage", "events").rules().get("payload").section());
        assertEquals(OptionalInt.of(90), ff(conf, "events", "payload"));
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
    }

    @Test
    void unknownKeysAreWarnedAboutAndIgnored() {
        TableConf conf = parse("""
                fillfactor = 50
                [storage]
                fillfator = 50
                [storage.foo]
                autovacuum = true
                [public]
                fillfactor = 40
                [public.t]
                cleanup_nulls = true
                doc.strip = true
                """);
        List<String> w = conf.warnings();
        assertEquals(6, w.size(), w::toString);
        assertTrue(w.get(0).contains("Unknown key fillfactor at the top of " + FILE), w::toString);
        assertTrue(w.get(1).contains("fillfator in section [storage]"), w::toString);
        assertTrue(w.get(2).contains("autovacuum in section [storage.foo]"), w::toString);
        assertTrue(w.get(3).contains("[storage.public]"), w::toString);
        assertTrue(w.get(4).contains("cleanup_nulls in section [public.t]") && w.get(4).contains("COLUMN.cleanup_nulls = true"),
                w::toString);
        assertTrue(w.stream().anyMatch(s -> s.contains("strip in section [public.t.doc]")), w::toString);
        assertEquals(OptionalInt.empty(), ff(conf, "public", "t"));
        assertTrue(conf.settingsFor("public", "t").rules().isEmpty(), "a column with no known rule key has no rule");
    }

    @Test
    void badRuleValuesAreRejectedNamingFileSectionAndColumn() {
        RpclException flag = rejects("[public.t]\ndoc.cleanup_nulls = \"maybe\"\n");
        assertEquals("Bad value 'maybe' for cleanup_nulls in section [public.t], column doc of " + FILE
                + ": expected true or false.", flag.getMessage());
        RpclException keys = rejects("[public.t]\ndoc.remove_keys = 5\n");
        assertTrue(keys.getMessage().contains("remove_keys in section [public.t], column doc"), keys::getMessage);
        RpclException storageSchema = rejects("[storage.events]\npayload.cleanup_nulls = 2\n");
        assertTrue(storageSchema.getMessage().contains("for cleanup_nulls in section [storage.events], column payload"),
                storageSchema::getMessage);
        RpclException element = rejects("[public.t]\ndoc.remove_keys = [\"a\", 1]\n");
        assertTrue(element.getMessage().contains("Bad value 1 for remove_keys"), element::getMessage);
    }

    @Test
    void syntaxErrorNamesFileAndLine() {
        RpclException e = rejects("[storage]\nfillfactor = \n");
        assertEquals(RpclException.Kind.BAD_INPUT, e.kind());
        assertTrue(e.getMessage().startsWith("Syntax error in the table configuration " + FILE + " at line 2"), e::getMessage);
    }

    @Test
    void missingFileMeansNoSettingsAndNoWarnings(@TempDir Path home) {
        TableConf conf = TableConf.load(new RpclHome(home), "default", "main");
        assertFalse(conf.present());
        assertEquals(home.resolve("config/table_conf/default_main.toml"), conf.file());
        assertTrue(conf.settingsFor("public", "t").isDefault());
        assertTrue(conf.warnings().isEmpty());
    }

    @Test
    void fileIsFoundByConfigurationAndConnectionName(@TempDir Path home) throws Exception {
        Path dir = Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(dir.resolve("nightly_main.toml"), "[storage]\nfillfactor = 75\n");
        TableConf conf = TableConf.load(new RpclHome(home), "nightly.toml", "main");
        assertTrue(conf.present());
        assertEquals(OptionalInt.of(75), ff(conf, "public", "t"));
        assertFalse(TableConf.load(new RpclHome(home), "nightly", "other").present());
    }
}
