package dev.rpcl.engine;

import dev.rpcl.catalog.PartitionSwap;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The copy table and its data. The copy is created WITHOUT indexes (they are built after the
 * data, which is much faster) and without identity (the original's identity sequence is carried
 * at the swap, keeping its name and value); valid CHECK constraints come along, NOT VALID ones
 * are added at the swap because the existing rows may violate them.
 */
final class CopyPhase {

    private static final String TABLE_INFO = """
            SELECT c.relpersistence = 'u' AS unlogged,
                   (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = c.reltablespace) AS tablespace,
                   coalesce(c.reloptions, '{}') AS reloptions
              FROM pg_catalog.pg_class c WHERE c.oid = ?
            """;

    /** The columns the copy is filled with: every live column but the generated ones. */
    private static final String COPY_COLUMNS = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
             ORDER BY a.attnum
            """;

    private static final String CHECKS = """
            SELECT conname, pg_catalog.pg_get_constraintdef(oid), convalidated
              FROM pg_catalog.pg_constraint
             WHERE conrelid = ? AND contype = 'c'
             ORDER BY conname
            """;

    private CopyPhase() {
    }

    /** The insert column list and the matching select list, the same for copy and replay. */
    record ColumnLists(String insert, String select) {
    }

    /** The original's persistence, tablespace and storage options, as the copy is created with them. */
    record TableInfo(boolean unlogged, String tablespace, Map<String, String> options) {
    }

    /** The original's storage options as table_conf changes them for the copy. */
    static TableInfo tableInfo(Connection c, RepackTable t, TableCustomizer customizer) throws SQLException {
        Map<String, String> options = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(TABLE_INFO)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                for (String opt : (String[]) rs.getArray("reloptions").getArray()) {
                    int eq = opt.indexOf('=');
                    options.put(opt.substring(0, eq), opt.substring(eq + 1));
                }
                return new TableInfo(rs.getBoolean("unlogged"), rs.getString("tablespace"),
                        customizer.storageOptions(t.ref(), options));
            }
        }
    }

    /** Creates the copy; returns the storage options it was created with. */
    static Map<String, String> createCopy(Connection c, RepackTable t, TableCustomizer customizer) throws SQLException {
        TableInfo info = tableInfo(c, t, customizer);
        boolean unlogged = info.unlogged();
        String tablespace = info.tablespace();
        Map<String, String> options = info.options();
        StringBuilder sql = new StringBuilder("CREATE ").append(unlogged ? "UNLOGGED " : "").append("TABLE ")
                .append(t.copy()).append(" (LIKE ").append(t.original())
                .append(" INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)");
        if (!options.isEmpty()) {
            sql.append(" WITH (").append(options.entrySet().stream()
                    .map(e -> Sql.ident(e.getKey()) + " = " + Sql.literal(e.getValue()))
                    .collect(Collectors.joining(", "))).append(')');
        }
        if (tablespace != null) {
            sql.append(" TABLESPACE ").append(Sql.ident(tablespace));
        }
        List<String> checks = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CHECKS)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(3)) {
                        checks.add("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(rs.getString(1)) + " " + rs.getString(2));
                    }
                }
            }
        }
        var parent = PartitionSwap.parentOf(c, t.ref().oid());
        if (parent.isPresent()) {
            // Lets ATTACH PARTITION see that every row fits the bounds without scanning the copy.
            checks.add("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(PartitionSwap.BOUND_CHECK)
                    + " CHECK (" + parent.get().constraint() + ")");
        }
        try (Statement st = c.createStatement()) {
            st.execute(sql.toString());
            for (String check : checks) {
                st.execute(check);
            }
        }
        return options;
    }

    /**
     * When the user repacks a table of a role it belongs to, the new table must belong to that
     * role too. Run inside the swap, after the move: PostgreSQL requires the new owner to have
     * CREATE on the table's schema, which it has on the original schema, not on sch_repnew.
     */
    static String ownerStatement(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
                 WHERE c.oid = ? AND c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
                """)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? "ALTER TABLE " + t.original() + " OWNER TO " + Sql.ident(rs.getString(1)) : null;
            }
        }
    }

    /** The NOT VALID CHECK constraints, added to the copy inside the swap. */
    static List<String> notValidChecks(Connection c, RepackTable t) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CHECKS)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getBoolean(3)) {
                        out.add("ALTER TABLE " + t.copy() + " ADD CONSTRAINT " + Sql.ident(rs.getString(1)) + " " + rs.getString(2));
                    }
                }
            }
        }
        return out;
    }

    static ColumnLists columnLists(Connection c, RepackTable t, TableCustomizer customizer) throws SQLException {
        List<String> insert = new ArrayList<>();
        List<String> select = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(COPY_COLUMNS)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = Sql.ident(rs.getString(1));
                    insert.add(col);
                    select.add(customizer.selectExpression(t.ref(), rs.getString(1), "o." + col, rs.getString(2)));
                }
            }
        }
        return new ColumnLists(String.join(", ", insert), String.join(", ", select));
    }

    /**
     * Fills the copy in one REPEATABLE READ transaction. Its first statement takes the snapshot
     * and deletes the log rows that snapshot sees: their changes are in the rows copied. Changes
     * committed later stay in the log for the replay. Returns the rows copied. A stop cancels
     * the copy in flight; it is rolled back and the copy table left empty.
     */
    static long copyData(Connection c, RepackTable t, ColumnLists cols, StopGuard stop) throws SQLException {
        return Snapshot.inRepeatableRead(c, () -> {
            try (Statement st = c.createStatement()) {
                return stop.run(st, () -> {
                    st.executeUpdate("DELETE FROM " + t.log());
                    return st.executeUpdate("INSERT INTO " + t.copy() + " (" + cols.insert() + ") SELECT " + cols.select()
                            + " FROM ONLY " + t.original() + " o");
                });
            }
        });
    }
}
