package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * User triggers of the table, with their enabled state (ORIGIN, ALWAYS, REPLICA, DISABLED) and
 * comments. They are created after the move, inside the swap, so none of them ever fires for
 * the copy or the replay. Triggers cloned from a partitioned parent come back when the
 * partition is attached again, and rpcl's own (z_repcloud_) triggers stay behind with the old
 * table. (Triggers of views stay with their view, which the engine replaces in place.)
 */
public final class Triggers implements Carrier {

    private static final String TRIGGERS = """
            SELECT t.tgname::text AS name,
                   pg_catalog.pg_get_triggerdef(t.oid) AS definition, t.tgenabled::text AS enabled,
                   pg_catalog.has_function_privilege(t.tgfoid, 'EXECUTE') AS can_execute,
                   t.tgfoid::regprocedure::text AS function,
                   d.description
              FROM pg_catalog.pg_trigger t
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
             WHERE t.tgrelid = ? AND NOT t.tgisinternal AND t.tgparentid = 0
               AND t.tgname NOT LIKE 'z\\_repcloud\\_%'
             ORDER BY t.tgname
            """;

    /** Statements of the enabled states other than the default ORIGIN. */
    private static String enable(String table, String trigger, String state) {
        String what = switch (state) {
            case "A" -> "ENABLE ALWAYS";
            case "R" -> "ENABLE REPLICA";
            case "D" -> "DISABLE";
            default -> null;
        };
        return what == null ? null : "ALTER TABLE " + table + " " + what + " TRIGGER " + Sql.ident(trigger);
    }

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, TRIGGERS, table.oid())) {
            if (!r.bool("can_execute")) {
                out.add("trigger " + r.str("name") + " on table " + table.display() + " calls function " + r.str("function")
                        + ", which rpcl's user may not execute, so it cannot create the trigger again (GRANT EXECUTE ON FUNCTION "
                        + r.str("function") + " TO the rpcl user)");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, TRIGGERS, table.oid())) {
            // pg_get_triggerdef names the table schema-qualified: after the move, the new one.
            after.add(r.str("definition"));
            String enable = enable(table.qualified(), r.str("name"), r.str("enabled"));
            if (enable != null) {
                after.add(enable);
            }
            if (r.str("description") != null) {
                after.add("COMMENT ON TRIGGER " + Sql.ident(r.str("name")) + " ON " + table.qualified() + " IS "
                        + Sql.literal(r.str("description")));
            }
        }
        return new Carried(List.of(), after, List.of());
    }
}
