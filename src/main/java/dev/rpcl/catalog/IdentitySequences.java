package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The privileges and comment of identity sequences. An identity sequence belongs to its column
 * and goes with the old table; the engine gives the new column an identity with the same
 * sequence name, options and value, which is a new sequence: its ACL is replayed here exactly
 * (grantors, grant options, the owner's own revoked privileges) and its comment set again. Runs
 * after the engine's sequence carrier. (A serial sequence is the same object before and after.)
 */
public final class IdentitySequences implements Carrier {

    private static final String SEQUENCES = """
            SELECT s.oid, n.nspname::text AS schema, s.relname::text AS name,
                   pg_catalog.pg_get_userbyid(s.relowner) AS owner, s.relacl IS NOT NULL AS has_acl, d.description,
                   current_user AS me, pg_catalog.current_setting('role') AS session_role
              FROM pg_catalog.pg_depend dep
              JOIN pg_catalog.pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
              JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = s.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
             WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.refclassid = 'pg_catalog.pg_class'::regclass
               AND dep.refobjid = ? AND dep.deptype = 'i'
             ORDER BY n.nspname, s.relname
            """;

    private static final String ITEMS = """
            SELECT s.oid AS seq,
            """ + Acl.EXPLODED_COLUMNS + """

              FROM pg_catalog.pg_depend dep
              JOIN pg_catalog.pg_class s ON s.oid = dep.objid AND s.relkind = 'S' AND s.relacl IS NOT NULL,
                   pg_catalog.aclexplode(s.relacl) WITH ORDINALITY x(grantor, grantee, privilege_type, is_grantable, ord)
             WHERE dep.classid = 'pg_catalog.pg_class'::regclass AND dep.refclassid = 'pg_catalog.pg_class'::regclass
               AND dep.refobjid = ? AND dep.deptype = 'i'
             ORDER BY s.oid, x.ord
            """;

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<CatalogRows.Row> sequences = CatalogRows.query(c, SEQUENCES, table.oid());
        if (sequences.isEmpty()) {
            return Carried.NONE;
        }
        Map<Long, List<Acl.Item>> items = new LinkedHashMap<>();
        for (CatalogRows.Row r : CatalogRows.query(c, ITEMS, table.oid())) {
            items.computeIfAbsent(r.num("seq"), k -> new ArrayList<>()).add(Acl.item(r));
        }
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row s : sequences) {
            String target = Sql.qualified(s.str("schema"), s.str("name"));
            if (s.bool("has_acl")) {
                after.addAll(Acl.replay("SEQUENCE", target, null, s.str("owner"), items.getOrDefault(s.num("oid"), List.of()),
                        s.str("me"), s.str("session_role")));
            }
            if (s.str("description") != null) {
                after.add("COMMENT ON SEQUENCE " + target + " IS " + Sql.literal(s.str("description")));
            }
        }
        return new Carried(List.of(), after, List.of());
    }
}
