package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended statistics (CREATE STATISTICS) with their names, kinds, targets, owners and comments.
 * A statistics object lives in a schema of its own and does not follow its table to
 * sch_repdrop, so the original's are dropped before the move to free their names, and created
 * again on the new table after it. Any the copy was created with are dropped too.
 */
public final class ExtendedStatistics implements Carrier {

    private static final String STATS = """
            SELECT s.stxrelid = ? AS original, n.nspname::text AS schema, s.stxname::text AS name,
                   pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition, coalesce(s.stxstattarget, -1) AS target, -- NULL: the default, since 17
                   pg_catalog.pg_get_userbyid(s.stxowner) AS owner, s.stxowner = r.oid AS owned_by_me,
                   pg_catalog.pg_has_role(s.stxowner, 'MEMBER') AS member,
                   pg_catalog.has_schema_privilege(s.stxowner, s.stxnamespace, 'CREATE') AS owner_can_create,
                   d.description
              FROM pg_catalog.pg_statistic_ext s
              JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
              JOIN pg_catalog.pg_roles r ON r.rolname = current_user
              LEFT JOIN pg_catalog.pg_description d
                ON d.objoid = s.oid AND d.classoid = 'pg_catalog.pg_statistic_ext'::regclass AND d.objsubid = 0
             WHERE s.stxrelid IN (?, pg_catalog.to_regclass(?))
             ORDER BY n.nspname, s.stxname
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, STATS, table.oid(), table.oid(), table.copyQualified())) {
            if (!r.bool("owned_by_me") && (!r.bool("member") || !r.bool("owner_can_create"))) {
                out.add("statistics object " + r.str("schema") + "." + r.str("name") + " on table " + table.display()
                        + " is owned by role " + r.str("owner") + ", which rpcl's user cannot give the recreated object"
                        + " (it must be a member of " + r.str("owner") + ", and " + r.str("owner")
                        + " must have CREATE on schema " + r.str("schema") + ")");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, STATS, table.oid(), table.oid(), table.copyQualified())) {
            String name = Sql.qualified(r.str("schema"), r.str("name"));
            before.add("DROP STATISTICS " + name);
            if (!r.bool("original")) {
                continue;
            }
            // The definition names the table as the swap's search_path sees it: after the move
            // that name is the new table's.
            after.add(r.str("definition"));
            if (r.num("target") >= 0) {
                after.add("ALTER STATISTICS " + name + " SET STATISTICS " + r.num("target"));
            }
            if (!r.bool("owned_by_me")) {
                after.add("ALTER STATISTICS " + name + " OWNER TO " + Sql.ident(r.str("owner")));
            }
            if (r.str("description") != null) {
                after.add("COMMENT ON STATISTICS " + name + " IS " + Sql.literal(r.str("description")));
            }
        }
        return new Carried(before, after, List.of());
    }
}
