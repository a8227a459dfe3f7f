package dev.rpcl.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A fingerprint of what the copy was built from: the original's columns (names, order, types,
 * collations, NOT NULL, defaults, generated, identity), indexes and non-foreign-key constraints.
 * Taken when the copy is created and compared inside the swap: if the table was altered in
 * between, the copy is not a faithful replacement and the swap must not happen. The caller sets
 * search_path to pg_catalog so that deparsed expressions are spelled the same both times.
 */
final class TableShape {

    private static final String FINGERPRINT = """
            SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
                SELECT 'column ' || lpad(row_number() OVER (ORDER BY a.attnum)::text, 5, '0') || ' ' || quote_ident(a.attname)
                       || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) || ' collation ' || a.attcollation
                       || ' notnull ' || a.attnotnull || ' generated ' || a.attgenerated::text || ' identity ' || a.attidentity::text
                       || ' default ' || coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') AS x
                  FROM pg_catalog.pg_attribute a
                  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
                UNION ALL
                SELECT 'index ' || pg_catalog.pg_get_indexdef(i.indexrelid) || ' valid ' || i.indisvalid
                  FROM pg_catalog.pg_index i WHERE i.indrelid = ?
                UNION ALL
                SELECT 'constraint ' || quote_ident(conname) || ' ' || pg_catalog.pg_get_constraintdef(oid) || ' valid ' || convalidated
                  FROM pg_catalog.pg_constraint WHERE conrelid = ? AND contype <> 'f'
            ) s
            """;

    private TableShape() {
    }

    static String fingerprint(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FINGERPRINT)) {
            ps.setLong(1, oid);
            ps.setLong(2, oid);
            ps.setLong(3, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
