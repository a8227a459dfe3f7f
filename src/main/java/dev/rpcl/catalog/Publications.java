package dev.rpcl.catalog;

import dev.rpcl.db.ServerVersion;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Membership of the table in publications that list it by name, with the column list and row
 * filter (PostgreSQL 15 and later). Publications FOR ALL TABLES or FOR TABLES IN SCHEMA take the new table
 * in by themselves once it is in the schema. Adding a table to a publication takes owning the
 * publication, which a table owner often does not: such tables are refused before the copy, and
 * so is every table while a publication FOR ALL TABLES exists.
 */
public final class Publications implements Carrier {

    private static final String MEMBERSHIPS = """
            SELECT p.pubname::text AS name, pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
                   pg_catalog.pg_has_role(p.pubowner, 'USAGE') AS can_alter,
                   %s
              FROM pg_catalog.pg_publication_rel pr
              JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
             WHERE pr.prrelid = ? %s
             ORDER BY p.pubname
            """;

    /** Column lists and row filters came with PostgreSQL 15. */
    private static final String COLUMNS_AND_FILTER = """
            ARRAY(SELECT a.attname::text
                    FROM unnest(pr.prattrs::int2[]) WITH ORDINALITY k(attnum, i)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum
                   ORDER BY k.i) AS columns,
            pr.prattrs IS NOT NULL AS has_columns,
            pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS row_filter""";

    private static final String NO_COLUMNS_NOR_FILTER = "NULL::text[] AS columns, false AS has_columns, NULL::text AS row_filter";

    private static String memberships(Connection c) throws SQLException {
        // 19's FOR ALL TABLES EXCEPT (TABLE t) lists t in pg_publication_rel too, as excluded.
        return MEMBERSHIPS.formatted(ServerVersion.atLeast(c, 15) ? COLUMNS_AND_FILTER : NO_COLUMNS_NOR_FILTER,
                ServerVersion.atLeast(c, 19) ? "AND NOT pr.prexcept" : "");
    }

    private static final String ALL_TABLES = """
            SELECT p.pubname::text AS name FROM pg_catalog.pg_publication p WHERE p.puballtables ORDER BY 1
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        // Such a publication also publishes rpcl's copy and change log in sch_repnew: subscribers
        // would receive rows for tables they do not have, and their apply would stop.
        for (CatalogRows.Row r : CatalogRows.query(c, ALL_TABLES)) {
            out.add("publication " + r.str("name") + " publishes all tables, so it would also send the copy of " + table.display()
                    + " and its change log to its subscribers, whose replication would stop on tables they do not have"
                    + " (publish the tables by name, or repack when no subscriber uses the publication)");
        }
        for (CatalogRows.Row r : CatalogRows.query(c, memberships(c), table.oid())) {
            if (!r.bool("can_alter")) {
                out.add("table " + table.display() + " is in publication " + r.str("name") + ", owned by role "
                        + r.str("owner") + ": only its owner may add the new table to it, and rpcl's user does not have"
                        + " that role's privileges (GRANT " + r.str("owner") + " TO the rpcl user, or ALTER PUBLICATION "
                        + r.str("name") + " OWNER TO the table's owner)");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, memberships(c), table.oid())) {
            StringBuilder sql = new StringBuilder("ALTER PUBLICATION ").append(Sql.ident(r.str("name")))
                    .append(" ADD TABLE ").append(table.qualified());
            if (r.bool("has_columns")) {
                sql.append(" (").append(String.join(", ", r.list("columns").stream().map(Sql::ident).toList())).append(")");
            }
            if (r.str("row_filter") != null) {
                sql.append(" WHERE (").append(r.str("row_filter")).append(")");
            }
            after.add(sql.toString());
        }
        return new Carried(List.of(), after, List.of());
    }
}
