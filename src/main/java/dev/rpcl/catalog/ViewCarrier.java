package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Views and materialized views that read the table directly. A view is re-pointed with CREATE OR
 * REPLACE VIEW and the same definition, which keeps its OID, so its grants, comments, options and
 * the views built on it are untouched. A materialized view cannot be replaced: a new one takes its
 * place, with its data, options, tablespace, indexes and grants. Its query can take as long as
 * the application allows, so it runs before the lock: each swap attempt builds the new one on
 * the copy in sch_repnew ({@link #prepare}), and the swap only drops the old one and moves the
 * new one into its place, as it does with the table. Its data is then that of the table just
 * before the lock, as if refreshed then. Should the old one have changed in between (its indexes,
 * tablespace or options), the swap builds it under the lock instead, as it does for one that is
 * not populated. One that other views depend on cannot be carried and skips the table.
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

    /** The indexes of a materialized view; {@code prefix} is pg_get_indexdef up to "USING ", so the rest can name another target. */
    private static final String MATVIEW_INDEXES = """
            SELECT ic.relname, i.indisunique,
                   (SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = ic.reltablespace) AS tablespace,
                   pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
                   'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(ic.relname)
                     || ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' USING ' AS prefix
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE i.indrelid = ? ORDER BY ic.relname
            """;

    /**
     * Whether the materialized view built ahead of the swap (second parameter: its name) is still
     * one for the old one (first parameter): same tablespace, options and indexes (name,
     * uniqueness, definition after "USING", tablespace).
     */
    private static final String PREBUILT_MATCHES = """
            WITH ix AS (
                SELECT i.indrelid AS rel,
                       (ic.relname, i.indisunique, ic.reltablespace,
                        substr(pg_catalog.pg_get_indexdef(i.indexrelid), length('CREATE '
                               || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX ' || quote_ident(ic.relname)
                               || ' ON ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' USING ') + 1))::text AS def
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)
            SELECT o.reltablespace = p.reltablespace AND o.reloptions IS NOT DISTINCT FROM p.reloptions AND p.relispopulated
                   AND ARRAY(SELECT def FROM ix WHERE rel = o.oid ORDER BY def) = ARRAY(SELECT def FROM ix WHERE rel = p.oid ORDER BY def)
              FROM pg_catalog.pg_class o, pg_catalog.pg_class p
             WHERE o.oid = ? AND p.oid = pg_catalog.to_regclass(?) AND p.relkind = 'm'
            """;

    /** The materialized views in sch_repnew built on a copy (parameter: the copy's name). */
    private static final String PREBUILT_ON = """
            SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(v.relname)
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
              JOIN pg_catalog.pg_class v ON v.oid = r.ev_class AND v.relkind = 'm'
              JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace AND n.nspname = 'sch_repnew'
             WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = pg_catalog.to_regclass(?)
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

    /**
     * Builds, on the copy, a new materialized view for each populated one that reads the table,
     * with its data and indexes, named {@code sch_repnew.mv_<oid of the old one>}. Its definition
     * is the old one's, read with the table's schema first in the search_path, so that the table
     * is named without its schema; the copy takes the table's name meanwhile, and sch_repnew
     * comes first in the search_path while the view is created: the name then means the copy, and
     * every other name what it meant before.
     */
    @Override
    public List<String> prepare(Connection c, TableRef table) throws SQLException {
        List<View> matviews = direct(c, table).stream().filter(v -> v.kind.equals("m") && v.populated).toList();
        if (matviews.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        out.add("ALTER TABLE " + table.copyQualified() + " RENAME TO " + Sql.ident(table.name()));
        out.add("SET LOCAL search_path = " + Sql.ident(table.copySchema()) + ", " + Sql.ident(table.schema()) + ", pg_catalog, pg_temp");
        for (View v : matviews) {
            String prebuilt = Sql.qualified(table.copySchema(), prebuiltName(v));
            out.add("DROP MATERIALIZED VIEW IF EXISTS " + prebuilt);
            out.add("CREATE MATERIALIZED VIEW " + prebuilt + with(v) + tablespace(v) + " AS "
                    + viewDefFrom(c, table.schema(), v.oid) + " WITH DATA");
            out.addAll(indexes(c, v, prebuilt));
        }
        out.add("SET LOCAL search_path = pg_catalog, pg_temp");
        out.add("ALTER TABLE " + Sql.qualified(table.copySchema(), table.name()) + " RENAME TO " + Sql.ident(table.copyName()));
        return out;
    }

    /** The materialized views {@link #prepare} built on a copy, to drop before the copy. */
    public static List<String> prebuiltOn(Connection c, String copy) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(PREBUILT_ON)) {
            ps.setString(1, copy);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static String prebuiltName(View v) {
        return "mv_" + v.oid;
    }

    private static String with(View v) {
        return v.options == null || v.options.isEmpty() ? "" : " WITH (" + v.options + ")";
    }

    private static String tablespace(View v) {
        return v.tablespace == null ? "" : " TABLESPACE " + Sql.ident(v.tablespace);
    }

    /** The indexes of a materialized view, with their names and tablespaces, built on {@code target}. */
    private static List<String> indexes(Connection c, View v, String target) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(MATVIEW_INDEXES)) {
            ps.setLong(1, v.oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String def = rs.getString("def");
                    if (!def.startsWith(rs.getString("prefix"))) {
                        throw new SQLException("unexpected definition of an index of materialized view " + v.qualified() + ": " + def);
                    }
                    String tablespace = rs.getString("tablespace");
                    out.add("SET LOCAL default_tablespace = " + (tablespace == null ? "''" : Sql.ident(tablespace)));
                    out.add("CREATE " + (rs.getBoolean("indisunique") ? "UNIQUE " : "") + "INDEX " + Sql.ident(rs.getString("relname"))
                            + " ON " + target + " USING " + def.substring(rs.getString("prefix").length()));
                }
            }
        }
        out.add("RESET default_tablespace");
        return out;
    }

    private static boolean prebuiltMatches(Connection c, TableRef table, View v) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(PREBUILT_MATCHES)) {
            ps.setLong(1, v.oid);
            ps.setString(2, Sql.qualified(table.copySchema(), prebuiltName(v)));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        for (View v : direct(c, table)) {
            if (v.kind.equals("v")) {
                after.add("CREATE OR REPLACE VIEW " + v.qualified() + with(v) + " AS " + viewDef(c, v.oid));
                continue;
            }
            after.add("DROP MATERIALIZED VIEW " + v.qualified());
            String prebuilt = Sql.qualified(table.copySchema(), prebuiltName(v));
            if (v.populated && prebuiltMatches(c, table, v)) {
                after.add("ALTER MATERIALIZED VIEW " + prebuilt + " SET SCHEMA " + Sql.ident(v.schema));
                after.add("ALTER MATERIALIZED VIEW " + Sql.qualified(v.schema, prebuiltName(v)) + " RENAME TO " + Sql.ident(v.name));
            } else {
                after.add("DROP MATERIALIZED VIEW IF EXISTS " + prebuilt);
                after.add("CREATE MATERIALIZED VIEW " + v.qualified() + with(v) + tablespace(v) + " AS " + viewDef(c, v.oid)
                        + (v.populated ? " WITH DATA" : " WITH NO DATA"));
                after.addAll(indexes(c, v, v.qualified()));
            }
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

    /** {@link #viewDef} read with {@code schema} first in the search_path: what it holds is named without it. */
    private static String viewDefFrom(Connection c, String schema, long oid) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL search_path = " + Sql.ident(schema) + ", pg_catalog, pg_temp");
            try {
                return viewDef(c, oid);
            } finally {
                st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            }
        }
    }
}
