package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What hangs on a materialized view that reads the table: the engine drops and recreates it at
 * the swap (a plain view is replaced in place, keeping its OID and all of this), so its owner,
 * storage parameters, table and column privileges (replayed exactly, grantors included) and the
 * comments on it and its columns are set again here. Its statements must run after the engine's
 * view carrier, so it comes after that one in {@link Carriers#all()}.
 */
public final class MaterializedViewAttributes implements Carrier {

    private static final String MATVIEWS = DependentViews.WITH_VIEWS + """
            SELECT v.oid, n.nspname::text AS schema, v.relname::text AS name,
                   pg_catalog.pg_get_userbyid(v.relowner) AS owner, v.relowner = me.oid AS owned_by_me,
                   pg_catalog.pg_has_role(v.relowner, 'MEMBER') AS member,
                   pg_catalog.has_schema_privilege(v.relowner, v.relnamespace, 'CREATE') AS owner_can_create,
                   v.reloptions AS options, v.relacl IS NOT NULL AS has_acl, d.description,
                   current_user AS me, pg_catalog.current_setting('role') AS session_role
              FROM views
              JOIN pg_catalog.pg_class v ON v.oid = views.oid AND v.relkind = 'm'
              JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
              JOIN pg_catalog.pg_roles me ON me.rolname = current_user
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = v.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
             ORDER BY n.nspname, v.relname
            """;

    /** Privileges of the materialized views (attnum 0) and of their columns, and column comments. */
    private static final String DETAILS = DependentViews.WITH_VIEWS + """
            SELECT v.oid AS rel, 0 AS attnum, NULL::text AS attname, NULL::text AS description,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM views JOIN pg_catalog.pg_class v ON v.oid = views.oid AND v.relkind = 'm',
                   pg_catalog.aclexplode(v.relacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
            UNION ALL
            SELECT a.attrelid, a.attnum, a.attname::text, NULL,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM views JOIN pg_catalog.pg_class v ON v.oid = views.oid AND v.relkind = 'm'
              JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0,
                   pg_catalog.aclexplode(a.attacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
            UNION ALL
            SELECT a.attrelid, a.attnum, a.attname::text, d.description, NULL, NULL, NULL, NULL, NULL
              FROM views JOIN pg_catalog.pg_class v ON v.oid = views.oid AND v.relkind = 'm'
              JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0
              JOIN pg_catalog.pg_description d
                ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
             ORDER BY rel, attnum, ord
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row v : CatalogRows.query(c, MATVIEWS, table.oid())) {
            if (!v.bool("owned_by_me") && (!v.bool("member") || !v.bool("owner_can_create"))) {
                out.add("materialized view " + v.str("schema") + "." + v.str("name") + " reads table " + table.display()
                        + " and is owned by role " + v.str("owner") + ", which rpcl's user cannot give the recreated view"
                        + " (it must be a member of " + v.str("owner") + ", and " + v.str("owner")
                        + " must have CREATE on schema " + v.str("schema") + ")");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<CatalogRows.Row> matviews = CatalogRows.query(c, MATVIEWS, table.oid());
        if (matviews.isEmpty()) {
            return Carried.NONE;
        }
        Map<Long, List<CatalogRows.Row>> details = new LinkedHashMap<>();
        for (CatalogRows.Row r : CatalogRows.query(c, DETAILS, table.oid())) {
            details.computeIfAbsent(r.num("rel"), k -> new ArrayList<>()).add(r);
        }
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row v : matviews) {
            after.addAll(restore(v, details.getOrDefault(v.num("oid"), List.of())));
        }
        return new Carried(List.of(), after, List.of());
    }

    private static List<String> restore(CatalogRows.Row v, List<CatalogRows.Row> details) {
        String target = Sql.qualified(v.str("schema"), v.str("name"));
        String alter = "ALTER MATERIALIZED VIEW " + target + " ";
        List<String> out = new ArrayList<>();
        if (!v.bool("owned_by_me")) {
            out.add(alter + "OWNER TO " + Sql.ident(v.str("owner")));
        }
        for (String change : StorageOptions.options("", v.list("options"), null)) {
            out.add(alter + change);
        }
        Map<String, List<Acl.Item>> acl = new LinkedHashMap<>();
        if (v.bool("has_acl")) {
            // Even an empty ACL (every privilege revoked) must be replayed: its REVOKEs matter.
            acl.put("", new ArrayList<>());
        }
        List<String> comments = new ArrayList<>();
        for (CatalogRows.Row d : details) {
            String column = d.num("attnum") == 0 ? "" : d.str("attname");
            if (d.str("description") != null) {
                comments.add("COMMENT ON COLUMN " + target + "." + Sql.ident(column) + " IS " + Sql.literal(d.str("description")));
            } else {
                acl.computeIfAbsent(column, k -> new ArrayList<>()).add(Acl.item(d));
            }
        }
        for (Map.Entry<String, List<Acl.Item>> e : acl.entrySet()) {
            out.addAll(Acl.replay("TABLE", target, e.getKey().isEmpty() ? null : e.getKey(), v.str("owner"), e.getValue(), v.str("me"),
                    v.str("session_role")));
        }
        if (v.str("description") != null) {
            out.add("COMMENT ON MATERIALIZED VIEW " + target + " IS " + Sql.literal(v.str("description")));
        }
        out.addAll(comments);
        return out;
    }
}
