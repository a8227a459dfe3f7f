package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Comments on the table, its columns, its indexes and its constraints, and on the foreign keys
 * of other tables that reference it (the engine recreates those, and a new constraint has no
 * comment). Indexes and constraints are matched by name, which the engine keeps. Comments of
 * triggers, rules, policies and statistics travel with the carrier that recreates those.
 */
public final class Comments implements Carrier {

    /** Comments of the original (side o) and of the copy (side n), by kind and name. */
    private static final String COMMENTS = """
            SELECT s.side, k.kind, k.name, k.on_schema, k.on_table, d.description
              FROM (VALUES ('o', ?::oid), ('n', pg_catalog.to_regclass(?)::oid)) s(side, rel)
             CROSS JOIN LATERAL (
                   SELECT 'table' AS kind, '' AS name, NULL::text AS on_schema, NULL::text AS on_table,
                          s.rel AS objoid, 'pg_catalog.pg_class'::regclass AS classoid, 0 AS subid
                   UNION ALL
                   SELECT 'column', a.attname::text, NULL, NULL, s.rel, 'pg_catalog.pg_class'::regclass, a.attnum
                     FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = s.rel AND a.attnum > 0 AND NOT a.attisdropped
                   UNION ALL
                   SELECT 'index', ic.relname::text, NULL, NULL, ic.oid, 'pg_catalog.pg_class'::regclass, 0
                     FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = s.rel
                   UNION ALL
                   SELECT 'constraint', k.conname::text, NULL, NULL, k.oid, 'pg_catalog.pg_constraint'::regclass, 0
                     FROM pg_catalog.pg_constraint k
                    WHERE k.conrelid = s.rel AND k.contype <> 't'
                   UNION ALL
                   SELECT 'incoming', k.conname::text,
                          rn.nspname::text, r.relname::text,
                          k.oid, 'pg_catalog.pg_constraint'::regclass, 0
                     FROM pg_catalog.pg_constraint k
                     JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
                     JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
                    WHERE s.side = 'o' AND k.contype = 'f' AND k.confrelid = s.rel AND k.conrelid <> s.rel
                      AND k.conparentid = 0
                   ) k
              JOIN pg_catalog.pg_description d
                ON d.objoid = k.objoid AND d.classoid = k.classoid AND d.objsubid = k.subid
            """;

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        Map<String, String> original = new LinkedHashMap<>();
        Map<String, String> copy = new LinkedHashMap<>();
        Map<String, String> statementHead = new LinkedHashMap<>();
        for (CatalogRows.Row r : CatalogRows.query(c, COMMENTS, table.oid(), table.copyQualified())) {
            String onTable = r.str("on_table") == null ? null : Sql.qualified(r.str("on_schema"), r.str("on_table"));
            String key = r.str("kind") + "\0" + r.str("name") + "\0" + Objects.toString(onTable, "");
            ("o".equals(r.str("side")) ? original : copy).put(key, r.str("description"));
            statementHead.put(key, head(table, r.str("kind"), r.str("name"), onTable));
        }
        List<String> after = new ArrayList<>();
        original.forEach((key, text) -> {
            if (key.startsWith("incoming\0") || !text.equals(copy.get(key))) {
                after.add(statementHead.get(key) + " IS " + Sql.literal(text));
            }
        });
        copy.keySet().stream().filter(key -> !original.containsKey(key))
                .forEach(key -> after.add(statementHead.get(key) + " IS NULL"));
        return new Carried(List.of(), after, List.of());
    }

    private static String head(TableRef table, String kind, String name, String onTable) {
        return switch (kind) {
            case "table" -> "COMMENT ON TABLE " + table.qualified();
            case "column" -> "COMMENT ON COLUMN " + table.qualified() + "." + Sql.ident(name);
            case "index" -> "COMMENT ON INDEX " + Sql.qualified(table.schema(), name);
            case "constraint" -> "COMMENT ON CONSTRAINT " + Sql.ident(name) + " ON " + table.qualified();
            default -> "COMMENT ON CONSTRAINT " + Sql.ident(name) + " ON " + onTable;
        };
    }
}
