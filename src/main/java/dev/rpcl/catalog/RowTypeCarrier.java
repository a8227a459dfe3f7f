package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Objects typed by the table's row type other than routines, which {@link Routines} recreates:
 * columns of other tables, composite types, domains, arrays of it. They point at the old table's
 * type, which the swap must drop, and rpcl cannot recreate them without rewriting other tables:
 * the table is skipped with a message naming them.
 */
public final class RowTypeCarrier implements Carrier {

    private static final String USERS = """
            SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_type ty ON ty.oid = c.reltype
              JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_type'::regclass
                                         AND (d.refobjid = ty.oid OR d.refobjid = ty.typarray)
             WHERE c.oid = ? AND d.deptype = 'n' AND d.classid <> 'pg_catalog.pg_proc'::regclass
             ORDER BY 1
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(USERS)) {
            ps.setLong(1, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " uses the table's row type, which rpcl cannot carry over to the repacked table");
                }
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) {
        return Carried.NONE;
    }
}
