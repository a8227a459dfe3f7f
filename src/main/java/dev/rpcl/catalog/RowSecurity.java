package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Row-level security: the ENABLE and FORCE flags and every policy (permissive or restrictive,
 * command, roles, USING and WITH CHECK expressions, comment). Policies are created after the
 * move; their expressions name other tables by name, as the swap's search_path resolves them.
 * Policies of other tables that read this one are given their expressions again.
 */
public final class RowSecurity implements Carrier {

    private static final String FLAGS = """
            SELECT o.relrowsecurity AS o_enabled, o.relforcerowsecurity AS o_forced,
                   n.relrowsecurity AS n_enabled, n.relforcerowsecurity AS n_forced,
                   pg_catalog.pg_has_role(o.relowner, 'USAGE') AS acts_as_owner,
                   (SELECT rolbypassrls OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS bypasses
              FROM pg_catalog.pg_class o
              LEFT JOIN pg_catalog.pg_class n ON n.oid = pg_catalog.to_regclass(?)
             WHERE o.oid = ?
            """;

    private static final String POLICIES = """
            SELECT p.polname::text AS name, p.polpermissive AS permissive, p.polcmd::text AS cmd,
                   ARRAY(SELECT CASE WHEN u.role = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(u.role) END
                           FROM unnest(p.polroles) WITH ORDINALITY u(role, i) ORDER BY u.i) AS roles,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
                   pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr,
                   d.description
              FROM pg_catalog.pg_policy p
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_policy'::regclass AND d.objsubid = 0
             WHERE p.polrelid = ?
             ORDER BY p.polname
            """;

    /**
     * Policies of other tables whose expressions read the table: bound to the old table, they
     * would keep it from being dropped, so ALTER POLICY gives them their expressions again,
     * which then name the new table.
     */
    private static final String OTHER_POLICIES = """
            SELECT p.polname::text AS name, quote_ident(n.nspname) || '.' || quote_ident(r.relname) AS relation,
                   n.nspname || '.' || r.relname AS display, pg_catalog.pg_get_userbyid(r.relowner) AS rel_owner,
                   pg_catalog.pg_has_role(r.relowner, 'USAGE') AS owns_relation,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
                   pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
              FROM pg_catalog.pg_policy p
              JOIN pg_catalog.pg_class r ON r.oid = p.polrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
             WHERE p.polrelid <> ?
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                            WHERE d.classid = 'pg_catalog.pg_policy'::regclass AND d.objid = p.oid
                              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = ?)
             ORDER BY n.nspname, r.relname, p.polname
            """;

    /** The other tables whose policies the swap alters, quoted, for the swap to lock. */
    public static List<String> otherRelations(Connection c, TableRef table) throws SQLException {
        return CatalogRows.query(c, OTHER_POLICIES, table.oid(), table.oid()).stream().map(r -> r.str("relation")).distinct().toList();
    }

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, OTHER_POLICIES, table.oid(), table.oid())) {
            if (!r.bool("owns_relation")) {
                out.add("policy " + r.str("name") + " of table " + r.str("display") + " reads table " + table.display()
                        + ", and only that table's owner " + r.str("rel_owner") + " may point it at the new table (GRANT "
                        + r.str("rel_owner") + " TO the rpcl user)");
            }
        }
        out.addAll(ownBlockers(c, table));
        return out;
    }

    private static List<String> ownBlockers(Connection c, TableRef table) throws SQLException {
        CatalogRows.Row f = CatalogRows.query(c, FLAGS, table.copyQualified(), table.oid()).get(0);
        if (f.bool("bypasses")) {
            return List.of();
        }
        // Policies would silently hide rows from the copy and the replay: refuse instead.
        if (f.bool("o_forced")) {
            return List.of("table " + table.display() + " has FORCE ROW LEVEL SECURITY, so its policies would hide rows"
                    + " from rpcl's copy; give the rpcl user BYPASSRLS, or run ALTER TABLE " + table.qualified()
                    + " NO FORCE ROW LEVEL SECURITY for the repack");
        }
        if (f.bool("o_enabled") && !f.bool("acts_as_owner")) {
            return List.of("table " + table.display() + " has row level security and rpcl's user does not inherit the"
                    + " privileges of its owner, so policies would hide rows from the copy; give the rpcl user BYPASSRLS"
                    + " or make it inherit the owner's privileges");
        }
        return List.of();
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        String target = table.qualified();
        CatalogRows.Row f = CatalogRows.query(c, FLAGS, table.copyQualified(), table.oid()).get(0);
        List<String> after = new ArrayList<>();
        List<String> flags = new ArrayList<>();
        if (f.bool("o_enabled") != f.bool("n_enabled")) {
            flags.add(f.bool("o_enabled") ? "ENABLE ROW LEVEL SECURITY" : "DISABLE ROW LEVEL SECURITY");
        }
        if (f.bool("o_forced") != f.bool("n_forced")) {
            flags.add(f.bool("o_forced") ? "FORCE ROW LEVEL SECURITY" : "NO FORCE ROW LEVEL SECURITY");
        }
        if (!flags.isEmpty()) {
            after.add("ALTER TABLE " + target + " " + String.join(", ", flags));
        }
        for (CatalogRows.Row p : CatalogRows.query(c, POLICIES, table.oid())) {
            StringBuilder sql = new StringBuilder("CREATE POLICY ").append(Sql.ident(p.str("name"))).append(" ON ").append(target)
                    .append(p.bool("permissive") ? " AS PERMISSIVE" : " AS RESTRICTIVE")
                    .append(" FOR ").append(command(p.str("cmd")))
                    .append(" TO ").append(String.join(", ", p.list("roles").stream().map(Acl::grantee).toList()));
            if (p.str("using_expr") != null) {
                sql.append(" USING (").append(p.str("using_expr")).append(")");
            }
            if (p.str("check_expr") != null) {
                sql.append(" WITH CHECK (").append(p.str("check_expr")).append(")");
            }
            after.add(sql.toString());
            if (p.str("description") != null) {
                after.add("COMMENT ON POLICY " + Sql.ident(p.str("name")) + " ON " + target + " IS "
                        + Sql.literal(p.str("description")));
            }
        }
        for (CatalogRows.Row p : CatalogRows.query(c, OTHER_POLICIES, table.oid(), table.oid())) {
            after.add("ALTER POLICY " + Sql.ident(p.str("name")) + " ON " + p.str("relation")
                    + (p.str("using_expr") == null ? "" : " USING (" + p.str("using_expr") + ")")
                    + (p.str("check_expr") == null ? "" : " WITH CHECK (" + p.str("check_expr") + ")"));
        }
        return new Carried(List.of(), after, List.of());
    }

    private static String command(String cmd) {
        return switch (cmd) {
            case "r" -> "SELECT";
            case "a" -> "INSERT";
            case "w" -> "UPDATE";
            case "d" -> "DELETE";
            default -> "ALL";
        };
    }
}
