package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Objects that use the table's row type or its array type: functions taking or returning it,
 * columns of other tables and composite types, domains. They are bound to the old table's type
 * OID, which goes away with the old table, and rpcl does not recreate them: such a table is
 * refused before the copy. Views that select whole rows are recreated by the engine.
 */
public final class RowTypeUsers implements Carrier {

    private static final String USERS = DependentViews.WITH_VIEWS + """
            SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS object
              FROM tbl
              JOIN pg_catalog.pg_class t ON t.oid = tbl.oid
              JOIN pg_catalog.pg_type ty ON ty.oid = t.reltype
              JOIN pg_catalog.pg_depend d
                ON d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid IN (ty.oid, ty.typarray) AND d.deptype = 'n'
             WHERE NOT (d.classid = 'pg_catalog.pg_class'::regclass AND d.objid IN (SELECT oid FROM views))
               AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass
                        AND (SELECT w.ev_class FROM pg_catalog.pg_rewrite w WHERE w.oid = d.objid) IN (SELECT oid FROM views))
             ORDER BY 1
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, USERS, table.oid())) {
            out.add(r.str("object") + " uses the row type of table " + table.display()
                    + ", which rpcl cannot carry over to the new table (drop or change it before the repack)");
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) {
        return Carried.NONE;
    }
}
