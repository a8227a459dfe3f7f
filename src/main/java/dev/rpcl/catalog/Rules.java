package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrite rules (CREATE RULE) of the table, with their enabled state and comments, and the rules
 * of views and other tables whose actions or conditions use the table (ON INSERT TO a view DO
 * INSTEAD INSERT INTO the table, ON DELETE TO another table DO ALSO UPDATE the table): such a
 * rule is bound to the old table and would keep it from being dropped, so it is replaced
 * in place (CREATE OR REPLACE RULE keeps its comment), which points it at the new table. Rule
 * definitions name tables schema-qualified under the swap's search_path.
 */
public final class Rules implements Carrier {

    private static final String RULES = """
            SELECT w.ev_class = ? AS on_table, w.rulename::text AS name,
                   pg_catalog.pg_get_ruledef(w.oid) AS definition, w.ev_enabled::text AS enabled,
                   n.nspname::text AS rel_schema, r.relname::text AS rel_name,
                   pg_catalog.pg_get_userbyid(r.relowner) AS rel_owner,
                   pg_catalog.pg_has_role(r.relowner, 'USAGE') AS owns_relation, d.description
              FROM pg_catalog.pg_rewrite w
              JOIN pg_catalog.pg_class r ON r.oid = w.ev_class
              JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = w.oid AND d.classoid = 'pg_catalog.pg_rewrite'::regclass AND d.objsubid = 0
             WHERE w.rulename <> '_RETURN'
               AND (w.ev_class = ?
                    OR (EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                                                     WHERE x.classid = 'pg_catalog.pg_rewrite'::regclass AND x.objid = w.oid
                                                       AND x.refclassid = 'pg_catalog.pg_class'::regclass AND x.refobjid = ?)))
             ORDER BY 1 DESC, n.nspname, r.relname, w.rulename
            """;

    /** The other relations whose rules the swap replaces, quoted, for the swap to lock. */
    public static List<String> otherRelations(Connection c, TableRef table) throws SQLException {
        return CatalogRows.query(c, RULES, table.oid(), table.oid(), table.oid()).stream().filter(r -> !r.bool("on_table"))
                .map(r -> Sql.qualified(r.str("rel_schema"), r.str("rel_name"))).distinct().toList();
    }

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, RULES, table.oid(), table.oid(), table.oid())) {
            if (!r.bool("on_table") && !r.bool("owns_relation")) {
                out.add("rule " + r.str("name") + " of " + r.str("rel_schema") + "." + r.str("rel_name") + " uses table "
                        + table.display() + ", and only the owner " + r.str("rel_owner")
                        + " may point it at the new table (GRANT " + r.str("rel_owner") + " TO the rpcl user)");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, RULES, table.oid(), table.oid(), table.oid())) {
            String relation = Sql.qualified(r.str("rel_schema"), r.str("rel_name"));
            String definition = r.str("definition");
            if (definition.endsWith(";")) {
                definition = definition.substring(0, definition.length() - 1);
            }
            if (!r.bool("on_table")) {
                if (definition.startsWith("CREATE RULE ")) {
                    definition = "CREATE OR REPLACE RULE " + definition.substring("CREATE RULE ".length());
                }
                after.add(definition);
                continue;
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
