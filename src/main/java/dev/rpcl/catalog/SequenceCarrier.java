package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Sequences owned by the table's columns keep their name, value, options and grants.
 * ALTER TABLE ... SET SCHEMA moves a table's owned sequences along with it, so a serial
 * sequence is released (OWNED BY NONE) before the old table moves and owned by the new column
 * after. An identity sequence cannot change owner: it goes with the old table, and the new
 * column gets an identity with the same sequence name, options, value and grants.
 */
public final class SequenceCarrier implements Carrier {
    /** Where the swap moves the old table, and with it its identity sequences. */
    private static final String DROP_SCHEMA = "sch_repdrop";

    private static final String OWNED = """
            SELECT s.oid, n.nspname, s.relname, a.attname, d.deptype, a.attidentity,
                   q.seqstart, q.seqincrement, q.seqmax, q.seqmin,
                   q.seqcache, q.seqcycle
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
              JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
              JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid
              JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
               AND d.refobjid = ? AND d.deptype IN ('a', 'i')
             ORDER BY s.relname
            """;

    /** Explicit grants on a sequence, other than its owner's own. */
    private static final String GRANTS = """
            SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END,
                   x.privilege_type, x.is_grantable
              FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) x
             WHERE c.oid = ? AND x.grantee <> c.relowner
             ORDER BY 1, 2
            """;

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(OWNED)) {
            ps.setLong(1, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String seq = Sql.qualified(rs.getString("nspname"), rs.getString("relname"));
                    String column = Sql.ident(rs.getString("attname"));
                    if (rs.getString("deptype").equals("a")) {
                        before.add("ALTER SEQUENCE " + seq + " OWNED BY NONE");
                        after.add("ALTER SEQUENCE " + seq + " OWNED BY " + table.qualified() + "." + column);
                    } else {
                        long seqOid = rs.getLong("oid");
                        // Out of the way of the new identity's sequence, and of any other table's
                        // parked sequence of the same name in sch_repdrop.
                        String parked = "old_seq_" + seqOid;
                        before.add("ALTER SEQUENCE " + seq + " RENAME TO " + Sql.ident(parked));
                        after.add("ALTER TABLE " + table.qualified() + " ALTER COLUMN " + column + " ADD GENERATED "
                                + (rs.getString("attidentity").equals("a") ? "ALWAYS" : "BY DEFAULT") + " AS IDENTITY (SEQUENCE NAME "
                                + seq + " START WITH " + rs.getLong("seqstart")
                                + " INCREMENT BY " + rs.getLong("seqincrement") + " MINVALUE " + rs.getLong("seqmin")
                                + " MAXVALUE " + rs.getLong("seqmax") + " CACHE " + rs.getLong("seqcache")
                                + (rs.getBoolean("seqcycle") ? " CYCLE" : " NO CYCLE") + ")");
                        after.add("SELECT pg_catalog.setval(" + Sql.literal(seq) + ", s.last_value, s.is_called) FROM "
                                + Sql.qualified(DROP_SCHEMA, parked) + " s");
                        after.addAll(grants(c, seqOid, seq));
                    }
                }
            }
        }
        return new Carried(before, after, List.of());
    }

    private static List<String> grants(Connection c, long seqOid, String seq) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(GRANTS)) {
            ps.setLong(1, seqOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add("GRANT " + rs.getString(2) + " ON SEQUENCE " + seq + " TO " + rs.getString(1)
                            + (rs.getBoolean(3) ? " WITH GRANT OPTION" : ""));
                }
            }
        }
        return out;
    }
}
