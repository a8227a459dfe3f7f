package dev.rpcl.catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.util.PGobject;

/**
 * A catalog query's rows, read at once so that the carriers can stay one query long and read
 * columns by label. Text arrays come back as {@code List<String>}; everything else as the
 * driver's object.
 */
final class CatalogRows {
    private CatalogRows() {
    }

    /** One row, by column label. */
    record Row(Map<String, Object> values) {
        String str(String label) {
            Object v = values.get(label);
            return v == null ? null : v.toString();
        }

        boolean bool(String label) {
            return Boolean.TRUE.equals(values.get(label));
        }

        long num(String label) {
            return ((Number) values.get(label)).longValue();
        }

        /** A number that may be NULL. */
        Long numOrNull(String label) {
            Object v = values.get(label);
            return v == null ? null : ((Number) v).longValue();
        }

        @SuppressWarnings("unchecked")
        List<String> list(String label) {
            Object v = values.get(label);
            return v == null ? null : (List<String>) v;
        }
    }

    /**
     * Runs {@code sql} with the parameters bound in order. A Long is an OID and is sent typed
     * {@code oid}, so that {@code oid = ?} uses the catalog's index rather than casting every row.
     */
    static List<Row> query(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] instanceof Long oid) {
                    PGobject typed = new PGobject();
                    typed.setType("oid");
                    typed.setValue(Long.toString(oid));
                    ps.setObject(i + 1, typed);
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                List<Row> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> values = new HashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        Object v = rs.getObject(i);
                        if (v instanceof Array a) {
                            v = textList(a);
                        }
                        values.put(md.getColumnLabel(i), v);
                    }
                    rows.add(new Row(values));
                }
                return rows;
            }
        }
    }

    private static List<String> textList(Array a) throws SQLException {
        Object[] items = (Object[]) a.getArray();
        List<String> out = new ArrayList<>(items.length);
        for (Object o : items) {
            out.add(o == null ? null : o.toString());
        }
        return out;
    }
}
