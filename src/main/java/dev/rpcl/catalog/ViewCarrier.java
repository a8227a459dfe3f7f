package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Views and materialized views that read the table directly. A view is re-pointed with CREATE OR
 * REPLACE VIEW and the same definition, which keeps its OID, so its grants, comments, options and
 * the views built on it are untouched. A materialized view cannot be replaced: it is dropped and
 * created again with its data, options, tablespace, indexes and grants, inside the swap (its query
 * runs under the lock); one that other views depend on cannot be carried and skips the table.
 */
public final class ViewCarrier implements Carrier {

    private static final String DIRECT = """
            SELECT DISTINCT v.oid, n.nspname, v.relname, v.relkind, v.relispopulated,
                   array_to_string(v.reloptions, ', ') AS options,
                   (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = v.reltablespace) AS tablespace
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
              JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
              JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
             WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = ? AND v.oid <> ?
               AND v.relkind IN ('v', 'm') AND r.rulename = '_RETURN'
             ORDER BY n.nspname, v.relname
            """;

    /** Views and materialized views that read a materialized view. */
    private static final String MATVIEW_DEPENDENTS = """
            SELECT DISTINCT n.nspname || '.' || v.relname
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
              JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
              JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace
             WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = ? AND v.oid <> ?
            """;

    private static final String MATVIEW_EXTRAS = """
            SELECT pg_catalog.pg_get_indexdef(i.indexrelid),
                   (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = ic.reltablespace)
              FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid = ? ORDER BY ic.relname
            """;

    private static final String GRANTS = """
            SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END,
                   x.privilege_type, x.is_grantable
              FROM pg_catalog.pg_class c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) x
             WHERE c.oid = ? AND x.grantee <> c.relowner
             ORDER BY 1, 2
            """;

    private static final String COMMENT = """
            SELECT pg_catalog.obj_description(?, 'pg_class')
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (View v : direct(c, table)) {
            if (v.kind.equals("m")) {
                try (PreparedStatement ps = c.prepareStatement(MATVIEW_DEPENDENTS)) {
                    ps.setLong(1, v.oid);
                    ps.setLong(2, v.oid);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(rs.getString(1) + " reads materialized view " + v.schema + "." + v.name
                                    + ", which reads the table; rpcl cannot recreate such a chain");
                        }
                    }
                }
            }
        }
        return out;
    }

    private record View(long oid, String schema, String name, String kind, boolean populated, String options,
                        String tablespace) {
        String qualified() {
            return Sql.qualified(schema, name);
        }
    }

    /** The views that read the table directly, quoted, for the swap to lock (LOCK cannot take a materialized view). */
    public static List<String> dependentViews(Connection c, TableRef table) throws SQLException {
        return direct(c, table).stream().filter(v -> v.kind.equals("v")).map(View::qualified).toList();
    }

    private static List<View> direct(Connection c, TableRef table) throws SQLException {
        List<View> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(DIRECT)) {
            ps.setLong(1, table.oid());
            ps.setLong(2, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new View(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getBoolean(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (View v : direct(c, table)) {
            String def = viewDef(c, v.oid);
            String with = v.options == null || v.options.isEmpty() ? "" : " WITH (" + v.options + ")";
            if (v.kind.equals("v")) {
                after.add("CREATE OR REPLACE VIEW " + v.qualified() + with + " AS " + def);
                continue;
            }
            after.add("DROP MATERIALIZED VIEW " + v.qualified());
            after.add("CREATE MATERIALIZED VIEW " + v.qualified() + with
                    + (v.tablespace == null ? "" : " TABLESPACE " + Sql.ident(v.tablespace)) + " AS " + def
                    + (v.populated ? " WITH DATA" : " WITH NO DATA"));
            try (PreparedStatement ps = c.prepareStatement(MATVIEW_EXTRAS)) {
                ps.setLong(1, v.oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        after.add("SET LOCAL default_tablespace = " + (rs.getString(2) == null ? "''" : Sql.ident(rs.getString(2))));
                        after.add(rs.getString(1));
                    }
                }
            }
            after.add("RESET default_tablespace");
            try (PreparedStatement ps = c.prepareStatement(GRANTS)) {
                ps.setLong(1, v.oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        after.add("GRANT " + rs.getString(2) + " ON " + v.qualified() + " TO " + rs.getString(1)
                                + (rs.getBoolean(3) ? " WITH GRANT OPTION" : ""));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(COMMENT)) {
                ps.setLong(1, v.oid);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getString(1) != null) {
                        after.add("COMMENT ON MATERIALIZED VIEW " + v.qualified() + " IS " + Sql.literal(rs.getString(1)));
                    }
                }
            }
        }
        return new Carried(List.of(), after, List.of());
    }

    /** pg_get_viewdef without its final semicolon; names come out qualified under the swap's search_path. */
    private static String viewDef(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_get_viewdef(?::oid)")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String def = rs.getString(1).strip();
                return def.endsWith(";") ? def.substring(0, def.length() - 1) : def;
            }
        }
    }
}
