package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The table's owner and its table and column privileges. The copy is created by rpcl's user,
 * so after the move it is given the original's owner first (which makes every later GRANT
 * recorded with the owner as grantor), then the original's ACLs are replayed in order.
 */
public final class Privileges implements Carrier {

    private static final String BLOCKERS = """
            SELECT pg_catalog.pg_get_userbyid(c.relowner) AS owner, n.nspname,
                   pg_catalog.pg_has_role(c.relowner, 'MEMBER') AS member,
                   c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
                       OR pg_catalog.has_schema_privilege(c.relowner, c.relnamespace, 'CREATE') AS owner_can_create,
                   ARRAY(SELECT DISTINCT pg_catalog.pg_get_userbyid(x.grantor)
                           FROM (SELECT (pg_catalog.aclexplode(c.relacl)).grantor
                                 UNION ALL
                                 SELECT (pg_catalog.aclexplode(a.attacl)).grantor
                                   FROM pg_catalog.pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) x
                          WHERE x.grantor <> c.relowner AND NOT pg_catalog.pg_has_role(x.grantor, 'MEMBER')
                          ORDER BY 1) AS foreign_grantors
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = ?
            """;

    private static final String OWNERS = """
            SELECT pg_catalog.pg_get_userbyid(o.relowner) AS owner,
                   pg_catalog.pg_get_userbyid(n.relowner) AS copy_owner,
                   o.relacl IS NOT NULL OR n.relacl IS NOT NULL AS replay_table_acl,
                   current_user AS me, pg_catalog.current_setting('role') AS session_role
              FROM pg_catalog.pg_class o, pg_catalog.pg_class n
             WHERE o.oid = ? AND n.oid = pg_catalog.to_regclass(?)
            """;

    /** Table items (attnum 0) when the table ACL is replayed, then every column ACL, in order. */
    private static final String ITEMS = """
            SELECT 0 AS attnum, NULL::text AS attname,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM pg_catalog.pg_class o,
                   pg_catalog.aclexplode(coalesce(o.relacl, pg_catalog.acldefault('r', o.relowner)))
                       WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
             WHERE o.oid = ? AND ?
            UNION ALL
            SELECT a.attnum, a.attname::text,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM pg_catalog.pg_attribute a,
                   pg_catalog.aclexplode(a.attacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY attnum, ord
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, BLOCKERS, table.oid())) {
            String owner = r.str("owner");
            if (!r.bool("member")) {
                out.add("table " + table.display() + " is owned by role " + owner + ", and rpcl's user is not a member of it,"
                        + " so the new table cannot be given the same owner (GRANT " + owner + " TO the rpcl user)");
            } else if (!r.bool("owner_can_create")) {
                out.add("the owner " + owner + " of table " + table.display() + " has no CREATE privilege on schema "
                        + r.str("nspname") + ", which giving it the new table requires (GRANT CREATE ON SCHEMA "
                        + r.str("nspname") + " TO " + owner + ")");
            }
            for (String grantor : r.list("foreign_grantors")) {
                out.add("privileges on table " + table.display() + " were granted by role " + grantor
                        + ", and rpcl's user is not a member of it, so they cannot be granted again by the same role (GRANT "
                        + grantor + " TO the rpcl user)");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        CatalogRows.Row o = CatalogRows.query(c, OWNERS, table.oid(), table.copyQualified()).get(0);
        String owner = o.str("owner");
        String target = table.qualified();
        List<String> after = new ArrayList<>();
        if (!owner.equals(o.str("copy_owner"))) {
            after.add("ALTER TABLE " + target + " OWNER TO " + Sql.ident(owner));
        }
        Map<String, List<Acl.Item>> byColumn = new LinkedHashMap<>();
        if (o.bool("replay_table_acl")) {
            // Present even when every privilege was revoked: the REVOKEs must still run.
            byColumn.put("", new ArrayList<>());
        }
        for (CatalogRows.Row r : CatalogRows.query(c, ITEMS, table.oid(), o.bool("replay_table_acl"), table.oid())) {
            byColumn.computeIfAbsent(r.num("attnum") == 0 ? "" : r.str("attname"), k -> new ArrayList<>()).add(Acl.item(r));
        }
        for (Map.Entry<String, List<Acl.Item>> e : byColumn.entrySet()) {
            String column = e.getKey().isEmpty() ? null : e.getKey();
            after.addAll(Acl.replay("TABLE", target, column, owner, e.getValue(), o.str("me"), o.str("session_role")));
        }
        return new Carried(List.of(), after, List.of());
    }
}
