package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for the engine in carrier tests, without change log or replay: makes a copy of a
 * table in sch_repnew the way the engine does (same columns, defaults, CHECK constraints,
 * indexes and index-backed constraints with the same names, no identity, UNLOGGED), copies the rows, and swaps it in with every carrier of
 * {@link Carriers#all()}, in one transaction, as the engine's swap does.
 */
final class SwapSimulator {
    private SwapSimulator() {
    }

    /** Everything that ran, in order, for a failing test to show. */
    record Swap(List<String> statements) {
    }

    static TableRef prepare(TestDatabase db, String schema, String name) throws SQLException {
        try (Connection c = db.ownerConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS sch_repnew");
            st.execute("CREATE SCHEMA IF NOT EXISTS sch_repdrop");
            long oid = oid(c, Sql.qualified(schema, name));
            TableRef ref = new TableRef(oid, schema, name, "sch_repnew", "copy_" + oid);
            String unlogged = single(c, "SELECT relpersistence = 'u' FROM pg_class WHERE oid = " + oid);
            st.execute("CREATE " + ("t".equals(unlogged) ? "UNLOGGED " : "") + "TABLE " + ref.copyQualified() + " (LIKE "
                    + ref.qualified() + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)");
            String printedName = single(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
                    + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = " + oid);
            for (String def : column(c, """
                    SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
                     WHERE i.indrelid = %d AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                             AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
                     ORDER BY i.indexrelid""".formatted(oid))) {
                st.execute(def.replace(" ON " + printedName + " USING ", " ON " + ref.copyQualified() + " USING "));
            }
            for (String def : column(c, """
                    SELECT format('ALTER TABLE %s ADD CONSTRAINT %%I %%s', conname, pg_get_constraintdef(oid))
                      FROM pg_constraint WHERE conrelid = %d AND contype IN ('p', 'u', 'x') ORDER BY oid"""
                    .formatted(ref.copyQualified().replace("%", "%%"), oid))) {
                st.execute(def);
            }
            String columns = single(c, "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                    + " WHERE attrelid = " + oid + " AND attnum > 0 AND NOT attisdropped AND attgenerated = ''");
            // As a superuser, like rpcl with BYPASSRLS: tests with FORCE ROW LEVEL SECURITY copy every row.
            db.executeAsAdmin("INSERT INTO " + ref.copyQualified() + " (" + columns + ") SELECT " + columns + " FROM "
                    + ref.qualified());
            return ref;
        }
    }

    static List<String> blockers(TestDatabase db, TableRef ref) throws SQLException {
        try (Connection c = db.ownerConnection()) {
            List<String> out = new ArrayList<>();
            for (Carrier carrier : Carriers.all()) {
                out.addAll(carrier.blockers(c, ref));
            }
            return out;
        }
    }

    static Swap swap(TestDatabase db, TableRef ref) throws SQLException {
        List<String> ran = new ArrayList<>();
        try (Connection c = db.ownerConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SET LOCAL lock_timeout = '5s'");
            // As the engine does: every definition the carriers read comes out schema-qualified.
            st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
            st.execute("LOCK TABLE " + ref.qualified() + " IN ACCESS EXCLUSIVE MODE");
            List<Carried> parts = new ArrayList<>();
            for (Carrier carrier : Carriers.all()) {
                parts.add(carrier.capture(c, ref));
            }
            Carried all = Carried.concat(parts);
            run(st, all.beforeMove(), ran);
            run(st, List.of("ALTER TABLE " + ref.qualified() + " SET SCHEMA sch_repdrop",
                    "ALTER TABLE " + ref.copyQualified() + " RENAME TO " + Sql.ident(ref.name()),
                    "ALTER TABLE " + Sql.qualified(ref.copySchema(), ref.name()) + " SET SCHEMA " + Sql.ident(ref.schema())), ran);
            run(st, all.afterMove(), ran);
            run(st, List.of("DROP TABLE " + Sql.qualified("sch_repdrop", ref.name())), ran);
            c.commit();
            c.setAutoCommit(true);
            run(st, all.afterCommit(), ran);
            return new Swap(ran);
        }
    }

    private static void run(Statement st, List<String> statements, List<String> ran) throws SQLException {
        for (String sql : statements) {
            ran.add(sql);
            try {
                st.execute(sql);
            } catch (SQLException e) {
                throw new SQLException("swap statement failed: " + sql + "\nafter:\n" + String.join(";\n", ran), e);
            }
        }
    }

    private static void execute(Statement st, String sql) {
        try {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    static long oid(Connection c, String qualified) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::regclass::oid")) {
            ps.setString(1, qualified);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static String single(Connection c, String sql) throws SQLException {
        List<String[]> r = rows(c, sql);
        return r.isEmpty() ? null : r.get(0)[0];
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        return rows(c, sql).stream().map(r -> r[0]).toList();
    }

    private static List<String[]> rows(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<String[]> out = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                String[] row = new String[n];
                for (int i = 0; i < n; i++) {
                    row[i] = rs.getString(i + 1);
                }
                out.add(row);
            }
            return out;
        }
    }
}
