package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Functions and procedures bound to the old table: those whose arguments or result are its row
 * type (or an array of it, as in {@code RETURNS SETOF customer}), and those whose SQL-standard
 * body ({@code BEGIN ATOMIC}) reads it. Their definitions are read before the move, where the
 * table's name still means the old table, and run again after it, where it means the new one.
 * A routine whose signature stays the same is replaced in place (CREATE OR REPLACE keeps its
 * OID, owner, grants and comment). One whose signature names the row type cannot be: it is
 * dropped before the move and created again after it, as its owner, with its grants replayed in
 * order and its comment; that is refused up front when anything else depends on it (a view that
 * calls it would keep it from being dropped), or when rpcl's user could not create it again.
 */
public final class Routines implements Carrier {

    /** Routines that depend on the table or on its row type or array type. */
    private static final String ROUTINES = """
            WITH bound AS (
                SELECT d.objid AS oid, bool_or(d.refclassid = 'pg_catalog.pg_type'::regclass) AS typed
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_type ty ON ty.oid = c.reltype
                  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.deptype = 'n'
                   AND ((d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid IN (ty.oid, ty.typarray))
                        OR (d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid))
                 WHERE c.oid = ?
                 GROUP BY d.objid)
            SELECT p.oid, b.typed, p.prokind::text AS kind, p.proleakproof AS leakproof,
                   pg_catalog.pg_describe_object('pg_catalog.pg_proc'::regclass, p.oid, 0) AS described,
                   quote_ident(n.nspname) || '.' || quote_ident(p.proname)
                       || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS signature,
                   CASE WHEN p.prokind IN ('f', 'p') THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
                   pg_catalog.pg_get_userbyid(p.proowner) AS owner, n.nspname,
                   pg_catalog.pg_has_role(p.proowner, 'USAGE') AS acts_as_owner,
                   pg_catalog.pg_has_role(p.proowner, 'MEMBER') AS member,
                   pg_catalog.has_schema_privilege(p.proowner, p.pronamespace, 'CREATE') AS owner_can_create,
                   l.lanname, l.lanpltrusted OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS may_create,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_proc'::regclass
                              AND e.objid = p.oid AND e.deptype = 'e') AS in_extension,
                   ARRAY(SELECT DISTINCT pg_catalog.pg_describe_object(u.classid, u.objid, u.objsubid)
                           FROM pg_catalog.pg_depend u
                          WHERE u.refclassid = 'pg_catalog.pg_proc'::regclass AND u.refobjid = p.oid AND u.deptype IN ('n', 'a')
                          ORDER BY 1) AS dependents,
                   ARRAY(SELECT DISTINCT pg_catalog.pg_get_userbyid(x.grantor) FROM pg_catalog.aclexplode(p.proacl) x
                          WHERE x.grantor <> p.proowner AND NOT pg_catalog.pg_has_role(x.grantor, 'MEMBER')
                          ORDER BY 1) AS foreign_grantors,
                   pg_catalog.obj_description(p.oid, 'pg_proc') AS description,
                   current_user AS me, pg_catalog.current_setting('role') AS session_role
              FROM bound b
              JOIN pg_catalog.pg_proc p ON p.oid = b.oid
              JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              JOIN pg_catalog.pg_language l ON l.oid = p.prolang
             ORDER BY n.nspname, p.proname, p.oid
            """;

    /**
     * A dropped routine's ACL, its default when it had none (so that a creator's default
     * privileges do not add to it), and the grantees of default privileges that could.
     */
    private static final String ACL = """
            SELECT
            """ + Acl.EXPLODED_COLUMNS + """

              FROM pg_catalog.pg_proc p,
                   pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner)))
                       WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
             WHERE p.oid = ?
             ORDER BY x.ord
            """;

    private static final String DEFAULT_GRANTEES = """
            SELECT DISTINCT pg_catalog.pg_get_userbyid(x.grantee) AS grantee
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_default_acl d ON d.defaclrole = p.proowner AND d.defaclobjtype = 'f'
                                              AND d.defaclnamespace IN (0, p.pronamespace)
             CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) x
             WHERE p.oid = ? AND x.grantee <> 0
             ORDER BY 1
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, ROUTINES, table.oid())) {
            String what = r.str("described") + (r.bool("typed") ? " uses the row type of table " : " reads table ")
                    + table.display() + ", and rpcl must create it again for the new table, but ";
            String owner = r.str("owner");
            if (r.str("definition") == null) {
                out.add(what + "it is an aggregate or window function, which rpcl does not recreate");
            } else if (r.bool("in_extension")) {
                out.add(what + "it belongs to an extension");
            } else if (!r.bool("may_create")) {
                out.add(what + "its language " + r.str("lanname") + " is untrusted and only a superuser may create it");
            } else if (r.bool("leakproof")) {
                out.add(what + "it is LEAKPROOF, which only a superuser may declare");
            } else if (!r.bool("acts_as_owner")) {
                out.add(what + "it is owned by role " + owner + " and rpcl's user does not have its privileges (GRANT "
                        + owner + " TO the rpcl user)");
            } else if (r.bool("typed")) {
                if (!r.bool("member")) {
                    out.add(what + "rpcl's user may not act as its owner " + owner + " (GRANT " + owner + " TO the rpcl user)");
                } else if (!r.bool("owner_can_create")) {
                    out.add(what + "its owner " + owner + " has no CREATE privilege on schema " + r.str("nspname")
                            + " (GRANT CREATE ON SCHEMA " + r.str("nspname") + " TO " + owner + ")");
                }
                for (String dependent : r.list("dependents")) {
                    out.add(what + dependent + " depends on it, which keeps it from being dropped and created again");
                }
                for (String grantor : r.list("foreign_grantors")) {
                    out.add(what + "privileges on it were granted by role " + grantor + ", of which rpcl's user is not a member"
                            + " (GRANT " + grantor + " TO the rpcl user)");
                }
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, ROUTINES, table.oid())) {
            String definition = r.str("definition").strip();
            if (!r.bool("typed")) {
                after.add(definition);
                continue;
            }
            String signature = "ROUTINE " + r.str("signature");
            String owner = r.str("owner");
            String me = r.str("me");
            before.add("DROP " + signature);
            if (!owner.equals(me)) {
                after.add("SET LOCAL ROLE " + Sql.ident(owner));
            }
            after.add(definition);
            if (!owner.equals(me)) {
                after.add("none".equals(r.str("session_role")) ? "SET LOCAL ROLE NONE" : "SET LOCAL ROLE " + Sql.ident(r.str("session_role")));
            }
            List<Acl.Item> items = CatalogRows.query(c, ACL, r.num("oid")).stream().map(Acl::item).toList();
            List<String> defaults = CatalogRows.query(c, DEFAULT_GRANTEES, r.num("oid")).stream().map(g -> g.str("grantee")).toList();
            after.addAll(Acl.replay("ROUTINE", r.str("signature"), null, owner, items, me, r.str("session_role"), defaults));
            if (r.str("description") != null) {
                after.add("COMMENT ON " + signature + " IS " + Sql.literal(r.str("description")));
            }
        }
        return new Carried(before, after, List.of());
    }
}
