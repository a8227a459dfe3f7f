package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Column defaults that name the table itself ({@code DEFAULT 'orders'::regclass}, as audit and
 * partman-style tables do): the copy's default, made from the same text before the move, holds
 * the old table's OID, which would keep the old table from being dropped and leave the new one
 * pointing at nothing. The default is set again after the move, from its text, where the name
 * means the new table. A CHECK constraint naming the table itself is refused up front: it could
 * only be re-pointed by adding it again, which scans the table under the lock.
 */
public final class SelfReferences implements Carrier {

    private static final String SELF = """
            SELECT a.attname::text AS column, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expr
              FROM pg_catalog.pg_attrdef d
              JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
             WHERE d.adrelid = ? AND a.attgenerated = ''
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                            WHERE x.classid = 'pg_catalog.pg_attrdef'::regclass AND x.objid = d.oid
                              AND x.refclassid = 'pg_catalog.pg_class'::regclass AND x.refobjid = d.adrelid
                              AND x.refobjsubid = 0)
             ORDER BY a.attnum
            """;

    private static final String SELF_CHECKS = """
            SELECT k.conname::text AS name
              FROM pg_catalog.pg_constraint k
             WHERE k.conrelid = ? AND k.contype = 'c'
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                            WHERE x.classid = 'pg_catalog.pg_constraint'::regclass AND x.objid = k.oid
                              AND x.refclassid = 'pg_catalog.pg_class'::regclass AND x.refobjid = k.conrelid
                              AND x.refobjsubid = 0)
             ORDER BY 1
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, SELF_CHECKS, table.oid())) {
            out.add("CHECK constraint " + r.str("name") + " of table " + table.display() + " names the table itself, and"
                    + " rpcl could point it at the new table only by validating it again under the lock");
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, SELF, table.oid())) {
            after.add("ALTER TABLE " + table.qualified() + " ALTER COLUMN " + Sql.ident(r.str("column")) + " SET DEFAULT "
                    + r.str("expr"));
        }
        return new Carried(List.of(), after, List.of());
    }
}
