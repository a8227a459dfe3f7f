package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrite rules (CREATE RULE) of the table and of the views the engine recreates, with their
 * enabled state and comments. A rule's actions name tables by name, so a rule recreated after
 * the move acts on the new table. Rules of views use CREATE OR REPLACE: a view the engine
 * replaced in place still has its rules, whose actions must be pointed at the new table.
 */
public final class Rules implements Carrier {

    private static final String RULES = DependentViews.WITH_VIEWS + """
            SELECT w.ev_class = (SELECT oid FROM tbl) AS on_table, w.rulename::text AS name,
                   pg_catalog.pg_get_ruledef(w.oid) AS definition, w.ev_enabled::text AS enabled,
                   n.nspname::text AS rel_schema, r.relname::text AS rel_name, d.description
              FROM pg_catalog.pg_rewrite w
              JOIN pg_catalog.pg_class r ON r.oid = w.ev_class
              JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = w.oid AND d.classoid = 'pg_catalog.pg_rewrite'::regclass AND d.objsubid = 0
             WHERE (w.ev_class = (SELECT oid FROM tbl) OR w.ev_class IN (SELECT oid FROM views))
               AND w.rulename <> '_RETURN'
             ORDER BY 1 DESC, w.ev_class, w.rulename
            """;

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, RULES, table.oid())) {
            String relation = Sql.qualified(r.str("rel_schema"), r.str("rel_name"));
            String definition = r.str("definition");
            if (definition.endsWith(";")) {
                definition = definition.substring(0, definition.length() - 1);
            }
            if (!r.bool("on_table") && definition.startsWith("CREATE RULE ")) {
                definition = "CREATE OR REPLACE RULE " + definition.substring("CREATE RULE ".length());
            }
            after.add(definition);
            String state = switch (r.str("enabled")) {
                case "A" -> "ENABLE ALWAYS";
                case "R" -> "ENABLE REPLICA";
                case "D" -> "DISABLE";
                default -> null;
            };
            if (state != null) {
                after.add("ALTER TABLE " + relation + " " + state + " RULE " + Sql.ident(r.str("name")));
            }
            if (r.str("description") != null) {
                after.add("COMMENT ON RULE " + Sql.ident(r.str("name")) + " ON " + relation + " IS "
                        + Sql.literal(r.str("description")));
            }
        }
        return new Carried(List.of(), after, List.of());
    }
}
