package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import dev.rpcl.config.TableConf.TableName;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TableConfCheckTest {
    static TestDatabase db;
    private static final Path FILE = Path.of("/home/dba/.repcloud/config/table_conf/default_main.toml");

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TableConfCheckTest.class);
        db.execute("""
                CREATE TABLE public.orders (
                    id int PRIMARY KEY,
                    doc jsonb,
                    legacy json,
                    note text,
                    "Payload" jsonb,
                    total numeric(10,2),
                    doc_upper jsonb GENERATED ALWAYS AS (doc) STORED)
                """,
                "CREATE TABLE public.other (id int PRIMARY KEY, doc text)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static TableConfCheck check(String toml, TableName... repacked) throws Exception {
        try (Connection c = db.ownerConnection()) {
            return TableConfCheck.run(c, TableConf.parse(FILE, toml), List.of(repacked));
        }
    }

    private static final TableName ORDERS = new TableName("public", "orders");

    @Test
    void columnsAreReadInTableOrderWithTypesAndGeneratedFlag() throws Exception {
        try (Connection c = db.ownerConnection()) {
            db.execute("CREATE TABLE dropped_col (a int, b jsonb, c text)", "ALTER TABLE dropped_col DROP COLUMN b");
            assertEquals(List.of(new TableColumn("a", "integer"), new TableColumn("c", "text")),
                    TableConfCheck.columns(c, "public", "dropped_col").orElseThrow());
            List<TableColumn> orders = TableConfCheck.columns(c, "public", "orders").orElseThrow();
            assertEquals(new TableColumn("total", "numeric(10,2)"), orders.get(5));
            assertEquals(new TableColumn("doc_upper", "jsonb", true), orders.get(6));
            assertEquals(Optional.empty(), TableConfCheck.columns(c, "public", "nope"));
            db.execute("CREATE TABLE no_columns ()");
            assertEquals(Optional.of(List.of()), TableConfCheck.columns(c, "public", "no_columns"));
        }
    }

    @Test
    void rulesThatFitTheColumnsPass() throws Exception {
        TableConfCheck check = check("""
                [storage.public]
                fillfactor = 80
                [public.orders]
                doc.remove_keys = ["a"]
                legacy.cleanup_nulls = true
                Payload.cleanup_nulls = false
                "Payload".remove_keys = ["b"]
                """, ORDERS);
        assertTrue(check.ok(), check::toString);
        assertTrue(check.warnings().isEmpty(), check::toString);
        check.throwIfErrors();
    }

    @Test
    void ruleOnAMissingColumnIsAnErrorNamingFileSectionAndColumn() throws Exception {
        TableConfCheck check = check("[public.orders]\npayload.cleanup_nulls = true\n", ORDERS);
        assertEquals(List.of("Table configuration " + FILE + ", section [public.orders], column payload: table public.orders"
                + " has no such column (there is Payload); fix the name (names are case-sensitive) or remove the rule."),
                check.errors());
        RpclException e = assertThrows(RpclException.class, check::throwIfErrors);
        assertEquals(RpclException.Kind.BAD_INPUT, e.kind());
        assertEquals(check.errors().get(0), e.getMessage());
    }

    @Test
    void rulesOnColumnsOfTheWrongTypeAreErrors() throws Exception {
        TableConfCheck check = check("""
                [public.orders]
                legacy.remove_keys = ["a"]
                note.cleanup_nulls = true
                total.remove_keys = ["a"]
                doc_upper.cleanup_nulls = true
                """, ORDERS);
        List<String> errors = check.errors();
        assertEquals(4, errors.size(), errors::toString);
        assertTrue(errors.get(0).endsWith("column legacy: remove_keys needs a jsonb column, but legacy is json"
                + " (cleanup_nulls works on json too)."), errors::toString);
        assertTrue(errors.get(1).endsWith("column note: cleanup_nulls needs a json or jsonb column, but note is text."), errors::toString);
        assertTrue(errors.get(2).endsWith("column total: remove_keys needs a jsonb column, but total is numeric(10,2)."), errors::toString);
        assertTrue(errors.get(3).endsWith("column doc_upper: it is a generated column, which the copy computes itself; remove the rule."),
                errors::toString);
        RpclException e = assertThrows(RpclException.class, check::throwIfErrors);
        assertTrue(e.getMessage().startsWith("4 problems in the table configuration: "), e::getMessage);
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void problemsOfTablesNotBeingRepackedAreOnlyWarnings() throws Exception {
        TableConfCheck check = check("[public.other]\ndoc.cleanup_nulls = true\n", ORDERS);
        assertTrue(check.ok(), check::toString);
        assertEquals(1, check.warnings().size());
        assertTrue(check.warnings().get(0).contains("cleanup_nulls needs a json or jsonb column, but doc is text"), check::toString);
    }

    @Test
    void sectionsNamingMissingTablesOrSchemasAreWarnings() throws Exception {
        TableConfCheck check = check("""
                [storage.Public]
                fillfactor = 80
                [storage.public.ordrs]
                fillfactor = 50
                [public.Orders]
                doc.cleanup_nulls = true
                """, ORDERS);
        assertTrue(check.ok(), check::toString);
        assertEquals(List.of(
                "Table configuration " + FILE + ", section [storage.public.ordrs]: there is no table public.ordrs in the database,"
                        + " so its settings are not used; check the name (names are case-sensitive).",
                "Table configuration " + FILE + ", section [public.Orders]: there is no table public.Orders in the database,"
                        + " so its settings are not used; check the name (names are case-sensitive).",
                "Table configuration " + FILE + ", section [storage.Public]: there is no schema Public in the database,"
                        + " so its fillfactor is not used; check the name (names are case-sensitive)."),
                check.warnings());
    }
}
