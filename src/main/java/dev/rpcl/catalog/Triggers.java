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
 * partition is attached again, and rpcl's own triggers (those that call its functions in
 * sch_repnew, whatever their names) stay behind with the old table. (Triggers of views stay with
 * their view, which the engine replaces in place.)
 */
public final class Triggers implements Carrier {

    /**
     * rpcl's own functions: those in sch_repnew, where only rpcl's user may create anything. A
     * trigger is rpcl's when it calls one of them, whatever its name: a user's trigger named
     * z_repcloud_... is the user's, carried over like any other, never dropped.
     */
    public static final String RPCL_FUNCTIONS = """
            SELECT p.oid FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = 'sch_repnew')""";

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
               AND NOT t.tgfoid IN (%s)
             ORDER BY t.tgname
            """.formatted(RPCL_FUNCTIONS);

    /**
     * Triggers cloned from a partitioned parent, whose clone ATTACH makes again: their enabled
     * state is set again when it or the parent's is not the default (a clone takes the parent's
     * state on some versions and ORIGIN on others), and their comments.
     */
    private static final String CLONED = """
            SELECT t.tgname::text AS name, t.tgenabled::text AS enabled, t.tgenabled <> 'O' OR p.tgenabled <> 'O' AS set_state,
                   d.description
              FROM pg_catalog.pg_trigger t
              JOIN pg_catalog.pg_trigger p ON p.oid = t.tgparentid
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
             WHERE t.tgrelid = ? AND (t.tgenabled <> 'O' OR p.tgenabled <> 'O' OR d.description IS NOT NULL)
             ORDER BY t.tgname
            """;

    /** rpcl's four trigger names (repcloud's), which a trigger of the user's must not already hold. */
    private static final String TAKEN_NAMES = """
            SELECT t.tgname::text AS name FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = ? AND t.tgname = ANY (?) AND NOT t.tgfoid IN (%s)
             ORDER BY 1
            """.formatted(RPCL_FUNCTIONS);

    public static final List<String> RPCL_TRIGGER_NAMES = List.of("z_repcloud_log_ins", "z_repcloud_log_upd", "z_repcloud_log_del",
            "z_repcloud_truncate");

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
        for (CatalogRows.Row r : CatalogRows.query(c, TAKEN_NAMES, table.oid(), RPCL_TRIGGER_NAMES.toArray(new String[0]))) {
            out.add("table " + table.display() + " has a trigger of its own named " + r.str("name") + ", the name rpcl gives"
                    + " its change-capture trigger (as repcloud did): rename that trigger to repack the table");
        }
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
            comment(after, table, r);
        }
        for (CatalogRows.Row r : CatalogRows.query(c, CLONED, table.oid())) {
            if (r.bool("set_state")) {
                String enable = enable(table.qualified(), r.str("name"), r.str("enabled"));
                after.add(enable != null ? enable : "ALTER TABLE " + table.qualified() + " ENABLE TRIGGER " + Sql.ident(r.str("name")));
            }
            comment(after, table, r);
        }
        return new Carried(List.of(), after, List.of());
    }

    private static void comment(List<String> out, TableRef table, CatalogRows.Row r) {
        if (r.str("description") != null) {
            out.add("COMMENT ON TRIGGER " + Sql.ident(r.str("name")) + " ON " + table.qualified() + " IS "
                    + Sql.literal(r.str("description")));
        }
    }
}
