package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What hangs on the views and materialized views that the engine recreates at the swap: owner,
 * options (security_barrier, security_invoker, check_option, storage parameters), table and
 * column privileges, comments on the view and its columns, and column defaults of views. Its
 * statements run after the engine's, so it must come after the engine's view carrier in
 * {@link Carriers#all()}; they set absolute values, so a view the engine replaced in place
 * (keeping all of this) ends up the same.
 */
public final class ViewAttributes implements Carrier {

    private static final List<String> VIEW_OPTIONS = List.of("check_option", "security_barrier", "security_invoker");

    private static final String VIEWS = DependentViews.WITH_VIEWS + """
            SELECT v.oid, n.nspname::text AS schema, v.relname::text AS name, v.relkind::text AS kind,
                   pg_catalog.pg_get_userbyid(v.relowner) AS owner, v.relowner = me.oid AS owned_by_me,
                   pg_catalog.pg_has_role(v.relowner, 'MEMBER') AS member,
                   pg_catalog.has_schema_privilege(v.relowner, v.relnamespace, 'CREATE') AS owner_can_create,
                   v.reloptions AS options, v.relacl IS NOT NULL AS has_acl, d.description,
                   current_user AS me, pg_catalog.current_setting('role') AS session_role
              FROM views
              JOIN pg_catalog.pg_class v ON v.oid = views.oid
              JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
              JOIN pg_catalog.pg_roles me ON me.rolname = current_user
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = v.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
             ORDER BY n.nspname, v.relname
            """;

    /** Privileges of the views (attnum 0) and of their columns, in catalog order. */
    private static final String ACL_ITEMS = DependentViews.WITH_VIEWS + """
            SELECT v.oid AS rel, 0 AS attnum, NULL::text AS attname,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM views JOIN pg_catalog.pg_class v ON v.oid = views.oid,
                   pg_catalog.aclexplode(v.relacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
            UNION ALL
            SELECT a.attrelid, a.attnum, a.attname::text,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM views JOIN pg_catalog.pg_attribute a ON a.attrelid = views.oid AND a.attnum > 0,
                   pg_catalog.aclexplode(a.attacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
             ORDER BY rel, attnum, ord
            """;

    /** Column comments and view column defaults. */
    private static final String COLUMNS = DependentViews.WITH_VIEWS + """
            SELECT a.attrelid AS rel, a.attname::text AS attname, d.description,
                   pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS default_expr
              FROM views
              JOIN pg_catalog.pg_attribute a ON a.attrelid = views.oid AND a.attnum > 0
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
              LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
             WHERE d.description IS NOT NULL OR ad.adbin IS NOT NULL
             ORDER BY a.attrelid, a.attnum
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row v : CatalogRows.query(c, VIEWS, table.oid())) {
            if (!v.bool("owned_by_me") && (!v.bool("member") || !v.bool("owner_can_create"))) {
                out.add(kindName(v) + " " + v.str("schema") + "." + v.str("name") + " depends on table " + table.display()
                        + " and is owned by role " + v.str("owner") + ", which rpcl's user cannot give the recreated view"
                        + " (it must be a member of " + v.str("owner") + ", and " + v.str("owner")
                        + " must have CREATE on schema " + v.str("schema") + ")");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<CatalogRows.Row> views = CatalogRows.query(c, VIEWS, table.oid());
        if (views.isEmpty()) {
            return Carried.NONE;
        }
        Map<Long, Map<String, List<Acl.Item>>> acls = new LinkedHashMap<>();
        for (CatalogRows.Row r : CatalogRows.query(c, ACL_ITEMS, table.oid())) {
            acls.computeIfAbsent(r.num("rel"), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.num("attnum") == 0 ? "" : r.str("attname"), k -> new ArrayList<>()).add(Acl.item(r));
        }
        Map<Long, List<CatalogRows.Row>> columns = new LinkedHashMap<>();
        for (CatalogRows.Row r : CatalogRows.query(c, COLUMNS, table.oid())) {
            columns.computeIfAbsent(r.num("rel"), k -> new ArrayList<>()).add(r);
        }
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row v : views) {
            after.addAll(restore(v, acls.getOrDefault(v.num("oid"), Map.of()), columns.getOrDefault(v.num("oid"), List.of())));
        }
        return new Carried(List.of(), after, List.of());
    }

    private static List<String> restore(CatalogRows.Row v, Map<String, List<Acl.Item>> acl, List<CatalogRows.Row> columns) {
        boolean matview = "m".equals(v.str("kind"));
        String target = Sql.qualified(v.str("schema"), v.str("name"));
        String alter = (matview ? "ALTER MATERIALIZED VIEW " : "ALTER VIEW ") + target + " ";
        List<String> out = new ArrayList<>();
        if (!v.bool("owned_by_me")) {
            out.add(alter + "OWNER TO " + Sql.ident(v.str("owner")));
        }
        List<String> options = v.list("options");
        for (String change : StorageOptions.options("", options, null)) {
            out.add(alter + change);
        }
        if (!matview) {
            var present = StorageOptions.parse(options).keySet();
            List<String> absent = VIEW_OPTIONS.stream().filter(o -> !present.contains(o)).map(Sql::ident).toList();
            out.add(alter + "RESET (" + String.join(", ", absent) + ")");
        }
        String owner = v.str("owner");
        if (v.bool("has_acl")) {
            // Even an empty ACL (every privilege revoked) must be replayed: its REVOKEs matter.
            out.addAll(Acl.replay(target, null, owner, acl.getOrDefault("", List.of()), v.str("me"), v.str("session_role")));
        }
        for (Map.Entry<String, List<Acl.Item>> e : acl.entrySet()) {
            if (!e.getKey().isEmpty()) {
                out.addAll(Acl.replay(target, e.getKey(), owner, e.getValue(), v.str("me"), v.str("session_role")));
            }
        }
        if (v.str("description") != null) {
            out.add((matview ? "COMMENT ON MATERIALIZED VIEW " : "COMMENT ON VIEW ") + target + " IS "
                    + Sql.literal(v.str("description")));
        }
        for (CatalogRows.Row col : columns) {
            String column = Sql.ident(col.str("attname"));
            if (col.str("description") != null) {
                out.add("COMMENT ON COLUMN " + target + "." + column + " IS " + Sql.literal(col.str("description")));
            }
            if (col.str("default_expr") != null && !matview) {
                out.add(alter + "ALTER COLUMN " + column + " SET DEFAULT " + col.str("default_expr"));
            }
        }
        return out;
    }

    private static String kindName(CatalogRows.Row v) {
        return "m".equals(v.str("kind")) ? "materialized view" : "view";
    }
}
