package dev.rpcl.engine;

import dev.rpcl.catalog.Inheritance;
import dev.rpcl.catalog.PartitionSwap;
import dev.rpcl.db.ServerVersion;
import dev.rpcl.db.Sql;
import dev.rpcl.db.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The copy table and its data. The copy is created WITHOUT indexes (they are built after the
 * data, which is much faster) and without identity (the original's identity sequence is carried
 * at the swap, keeping its name and value); valid CHECK constraints come along, NOT VALID ones
 * are added at the swap because the existing rows may violate them.
 *
 * <p>The copy of a table without generated columns is made by CREATE TABLE AS, then given its
 * column attributes and constraints in one ALTER TABLE (one scan to check them): CREATE TABLE AS
 * writes through a small ring of buffers, without free-space-map lookups, and copied a 1M-row
 * table in 1.0-1.2 s where INSERT ... SELECT took 1.6-2.2 s, evicting the application's pages
 * from shared_buffers as it went. A generated column cannot be added after the data without
 * rewriting it, so such a table gets its copy created empty, as the original (LIKE), and filled
 * by INSERT ... SELECT.
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

    /** What CREATE TABLE AS does not give a column: NOT NULL, default, storage, compression. */
    private static final String COLUMN_ATTRIBUTES = """
            SELECT a.attname, a.attnotnull, a.attidentity = '' AND d.adbin IS NOT NULL AS has_default,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expr,
                   a.attstorage <> t.typstorage AS own_storage, a.attstorage::text AS storage, a.attcompression::text AS compression
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum
            """;

    /** The columns of an inheritance child, each its own, inherited, or both (createChildCopy). */
    private static final String CHILD_COLUMNS = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
                   CASE WHEN a.attcollation <> t.typcollation THEN
                        pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END AS collation,
                   a.attislocal, a.attinhcount > 0 AS inherited
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
              LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum
            """;

    /** Generated columns (made by LIKE only) or regclass ones (see selfToCopy): the copy is created first, empty. */
    private static final String CREATED_FIRST = """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                            WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped
                              AND (attgenerated <> '' OR atttypid = 'pg_catalog.regclass'::pg_catalog.regtype))
            """;

    /**
     * CHECK constraints and, since PostgreSQL 18, NOT NULL constraints, which have names and may
     * be NOT VALID or NO INHERIT: the copy gets them by name from their definitions (before 18
     * there are no 'n' rows, and NOT NULL is a column attribute). NOT ENFORCED ones (18) are
     * never validated, so they come with the NOT VALID ones, at the swap, where they cost no scan.
     */
    private static final String CHECKS = """
            SELECT conname, pg_catalog.pg_get_constraintdef(oid), convalidated, contype = 'n' AS not_null,
                   conislocal, coninhcount > 0 AS inherited
              FROM pg_catalog.pg_constraint
             WHERE conrelid = ? AND contype IN ('c', 'n')
             ORDER BY contype DESC, conname
            """;

    private CopyPhase() {
    }

    /** The insert column list and the matching select list, the same for copy and replay. */
    record ColumnLists(String insert, String select) {
    }

    /**
     * The original's persistence, tablespace and storage options ({@code original}), and the
     * options as table_conf changes them ({@code options}), which the copy is created with.
     */
    record TableInfo(boolean unlogged, String tablespace, Map<String, String> original, Map<String, String> options) {
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
                return new TableInfo(rs.getBoolean("unlogged"), rs.getString("tablespace"), Map.copyOf(options),
                        customizer.storageOptions(t.ref(), options));
            }
        }
    }

    /**
     * Creates the copy of a table with generated or regclass columns, or of an inheritance child, empty; the copy of any other table is
     * created with its data ({@link #copyData}). Returns the storage options the copy gets.
     */
    static Map<String, String> createCopy(Connection c, RepackTable t, TableCustomizer customizer) throws SQLException {
        TableInfo info = tableInfo(c, t, customizer);
        if (!Inheritance.parents(c, t.ref().oid()).isEmpty()) {
            createChildCopy(c, t, info);
            return info.options();
        }
        if (!holds(c, CREATED_FIRST, t.ref().oid())) {
            return info.options();
        }
        try (Statement st = c.createStatement()) {
            st.execute(createPrefix(t, info) + " (LIKE " + t.original()
                    + " INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)" + storageClause(info));
            // LIKE gives the copy the NOT NULL constraints of 18, with their names, validated:
            // the valid ones are kept, the NOT VALID ones are dropped here and come at the swap.
            List<Check> checks = checks(c, t);
            for (String constraint : constraints(c, t, checks, false)) {
                st.execute("ALTER TABLE " + t.copy() + " " + constraint);
            }
            for (Check notValid : checks) {
                if (notValid.notNull() && !notValid.valid()) {
                    st.execute("ALTER TABLE " + t.copy() + " DROP CONSTRAINT " + Sql.ident(notValid.name()));
                }
            }
        }
        return info.options();
    }

    /**
     * The copy of an inheritance child, empty, as the child of a stand-in parent that holds the
     * original's inherited columns and constraints ({@link Inheritance}). Columns are added one by
     * one in the original's order, each to the copy when it is the child's own, to the stand-in
     * (which passes it on) when it is inherited, to both when it is both, so that the copy has the
     * original's column order and tells its own columns and constraints from inherited ones as the
     * original does.
     */
    private static void createChildCopy(Connection c, RepackTable t, TableInfo info) throws SQLException {
        String standIn = t.ref().copyParentsQualified();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE " + (info.unlogged() ? "UNLOGGED " : "") + "TABLE " + standIn + " ()");
            st.execute(createPrefix(t, info) + " () INHERITS (" + standIn + ")" + storageClause(info));
            try (PreparedStatement ps = c.prepareStatement(CHILD_COLUMNS)) {
                ps.setLong(1, t.ref().oid());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String column = " ADD COLUMN " + Sql.ident(rs.getString("attname")) + " " + rs.getString("type")
                                + (rs.getString("collation") == null ? "" : " COLLATE " + rs.getString("collation"));
                        if (rs.getBoolean("attislocal")) {
                            st.execute("ALTER TABLE " + t.copy() + column);
                        }
                        if (rs.getBoolean("inherited")) {
                            st.execute("ALTER TABLE " + standIn + column);
                        }
                    }
                }
            }
            List<String> attributes = columnAttributes(c, t);
            if (!attributes.isEmpty()) {
                st.execute("ALTER TABLE " + t.copy() + " " + String.join(", ", attributes));
            }
            for (Check k : checks(c, t)) {
                if (k.valid()) {
                    for (String add : addTo(t, k, true)) {
                        st.execute(add);
                    }
                }
            }
        }
    }

    /** The answer of a query of one boolean with one parameter. */
    private static boolean holds(Connection c, String sql, Object param) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static String createPrefix(RepackTable t, TableInfo info) {
        return "CREATE " + (info.unlogged() ? "UNLOGGED " : "") + "TABLE " + t.copy();
    }

    private static String storageClause(TableInfo info) {
        StringBuilder sql = new StringBuilder();
        if (!info.options().isEmpty()) {
            sql.append(" WITH (").append(info.options().entrySet().stream()
                    .map(e -> Sql.ident(e.getKey()) + " = " + Sql.literal(e.getValue()))
                    .collect(Collectors.joining(", "))).append(')');
        }
        if (info.tablespace() != null) {
            sql.append(" TABLESPACE ").append(Sql.ident(info.tablespace()));
        }
        return sql.toString();
    }

    /** One CHECK or (18) NOT NULL constraint of the original, as CHECKS reads it. */
    private record Check(String name, String definition, boolean valid, boolean notNull, boolean local, boolean inherited) {
        String add() {
            return "ADD CONSTRAINT " + Sql.ident(name) + " " + definition;
        }
    }

    private static List<Check> checks(Connection c, RepackTable t) throws SQLException {
        List<Check> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CHECKS)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Check(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
                            rs.getBoolean(6)));
                }
            }
        }
        return out;
    }

    /**
     * The valid CHECK constraints (and NOT NULL ones, on 18, when {@code withNotNull}), and a
     * partition's bound as a CHECK, as ALTER TABLE subcommands.
     */
    private static List<String> constraints(Connection c, RepackTable t, List<Check> checks, boolean withNotNull)
            throws SQLException {
        List<String> out = new ArrayList<>();
        for (Check k : checks) {
            if (k.valid() && (withNotNull || !k.notNull())) {
                out.add(k.add());
            }
        }
        var parent = PartitionSwap.parentOf(c, t.ref().oid());
        if (parent.isPresent()) {
            // Lets ATTACH PARTITION see that every row fits the bounds without scanning the copy.
            out.add("ADD CONSTRAINT " + Sql.ident(PartitionSwap.BOUND_CHECK) + " CHECK (" + parent.get().constraint() + ")");
        }
        return out;
    }

    /**
     * What LIKE would have given the columns of a copy made by CREATE TABLE AS, as ALTER TABLE
     * subcommands. On 18 and later NOT NULL is left to {@link #constraints}, which keeps its names.
     */
    private static List<String> columnAttributes(Connection c, RepackTable t) throws SQLException {
        List<String> out = new ArrayList<>();
        boolean namedNotNull = ServerVersion.atLeast(c, 18);
        try (PreparedStatement ps = c.prepareStatement(COLUMN_ATTRIBUTES)) {
            ps.setLong(1, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String column = "ALTER COLUMN " + Sql.ident(rs.getString("attname"));
                    if (rs.getBoolean("attnotnull") && !namedNotNull) {
                        out.add(column + " SET NOT NULL");
                    }
                    if (rs.getBoolean("has_default")) {
                        out.add(column + " SET DEFAULT " + rs.getString("default_expr"));
                    }
                    if (rs.getBoolean("own_storage")) {
                        out.add(column + " SET STORAGE " + switch (rs.getString("storage")) {
                            case "p" -> "PLAIN";
                            case "e" -> "EXTERNAL";
                            case "m" -> "MAIN";
                            default -> "EXTENDED";
                        });
                    }
                    String compression = rs.getString("compression");
                    if (compression != null && !compression.isEmpty()) {
                        out.add(column + " SET COMPRESSION " + ("l".equals(compression) ? "lz4" : "pglz"));
                    }
                }
            }
        }
        return out;
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

    /**
     * The NOT VALID (or NOT ENFORCED) CHECK and NOT NULL constraints, added to the copy inside the
     * swap; an inheritance child's inherited ones through its stand-in parent, so that they stay inherited.
     */
    static List<String> notValidChecks(Connection c, RepackTable t) throws SQLException {
        List<String> out = new ArrayList<>();
        boolean child = !Inheritance.parents(c, t.ref().oid()).isEmpty();
        for (Check k : checks(c, t)) {
            if (!k.valid()) {
                out.addAll(addTo(t, k, child));
            }
        }
        return out;
    }

    /**
     * The statements that give the copy a constraint of the original: on the copy itself, or, for
     * an inheritance child ({@code child}), on the copy when it is the child's own and through its
     * stand-in parent when it is inherited (both when both: the copy's first, which the stand-in's
     * then merges with), so that it stays inherited.
     */
    private static List<String> addTo(RepackTable t, Check k, boolean child) {
        List<String> out = new ArrayList<>();
        if (!child || k.local()) {
            out.add("ALTER TABLE " + t.copy() + " " + k.add());
        }
        if (child && k.inherited()) {
            out.add("ALTER TABLE " + t.ref().copyParentsQualified() + " " + k.add());
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
                    String expr = customizer.selectExpression(t.ref(), rs.getString(1), "o." + col, rs.getString(2));
                    select.add(rs.getString(2).equals("regclass") ? selfToCopy(t, expr) : expr);
                }
            }
        }
        return new ColumnLists(String.join(", ", insert), String.join(", ", select));
    }

    /**
     * A regclass value naming the table itself (an audit row's source, a default of
     * {@code 'orders'::regclass}) names the copy instead, which becomes the table at the swap:
     * the old OID would name the dropped table. The copy must exist when this is parsed, so a
     * table with a regclass column has its copy created empty first ({@link #createCopy}).
     */
    private static String selfToCopy(RepackTable t, String expr) {
        return "CASE WHEN " + expr + " = " + t.ref().oid() + "::pg_catalog.oid::pg_catalog.regclass THEN "
                + Sql.literal(t.copy()) + "::pg_catalog.regclass ELSE " + expr + " END";
    }

    /**
     * Fills the copy in one REPEATABLE READ transaction, whose one snapshot is taken after the
     * triggers are in place: the log rows that snapshot sees are deleted, as their changes are in
     * the rows copied in the same snapshot; changes committed later stay in the log for the
     * replay. Returns the rows copied. A stop cancels the copy in flight; it is rolled back, and
     * the copy is as before: empty, or not there.
     */
    static long copyData(Connection c, RepackTable t, ColumnLists cols, TableCustomizer customizer, StopGuard stop)
            throws SQLException {
        return Transactions.repeatableRead(c, () -> {
            try (Statement st = c.createStatement()) {
                // Definitions read below are deparsed fully qualified, as at the creation of a copy.
                st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
                boolean created = exists(c, t.copy());
                CreateAs create = created ? null : createAs(c, t, cols, customizer, true);
                // The rows are copied, and the constraints checked, with the session's own search_path,
                // as the application's writes are: a CHECK may call a function that relies on it.
                st.execute("RESET search_path");
                return stop.run(st, () -> {
                    st.executeUpdate("DELETE FROM " + t.log());
                    if (created) {
                        return (long) st.executeUpdate("INSERT INTO " + t.copy() + " (" + cols.insert() + ") SELECT "
                                + cols.select() + " FROM ONLY " + t.original() + " o");
                    }
                    long rows = st.executeUpdate(create.create());
                    if (create.alter() != null) {
                        st.execute(create.alter());
                    }
                    return rows;
                });
            }
        });
    }

    /**
     * The CREATE TABLE AS that makes the copy (filled, or WITH NO DATA), and the ALTER TABLE that
     * then gives it what CREATE TABLE AS does not (column attributes, CHECK constraints, a
     * partition's bound), or null when there is nothing to give.
     */
    private record CreateAs(String create, String alter) {
    }

    /** Read with the search_path set to pg_catalog, so that the definitions are deparsed fully qualified. */
    private static CreateAs createAs(Connection c, RepackTable t, ColumnLists cols, TableCustomizer customizer, boolean withData)
            throws SQLException {
        List<String> definition = new ArrayList<>(columnAttributes(c, t));
        definition.addAll(constraints(c, t, checks(c, t), true));
        TableInfo info = tableInfo(c, t, customizer);
        return new CreateAs(createPrefix(t, info) + " (" + cols.insert() + ")" + storageClause(info) + " AS SELECT "
                + cols.select() + " FROM ONLY " + t.original() + " o" + (withData ? "" : " WITH NO DATA"),
                definition.isEmpty() ? null : "ALTER TABLE " + t.copy() + " " + String.join(", ", definition));
    }

    /** What runs between two chunks of a chunked copy, on the worker session: a stop check, a pause, the throttle. */
    interface BetweenChunks {
        void run(Connection worker) throws SQLException;
    }

    /**
     * The copy in chunks of {@code chunkBytes} of the original's pages (copy_chunk), so that a
     * pause, the throttle or a stop can act while it runs. One REPEATABLE READ transaction on
     * {@code c} takes the snapshot, deletes the log rows it sees (as {@link #copyData} does) and
     * stays open until the last chunk; each chunk is an INSERT ... SELECT of a range of the
     * original's pages (a TID range scan) in a transaction of its own on {@code worker} that
     * imports that snapshot: together the chunks copy exactly the rows one statement would. The
     * pages are counted after the snapshot was taken, and the last chunk has no upper bound, so no
     * row the snapshot sees is missed. The copy is created empty first, committed, for the worker
     * to see it (or emptied, when an earlier copy stopped half-way). Returns the rows copied;
     * {@code pagesDone} follows the progress.
     */
    static long copyDataInChunks(Connection c, Connection worker, RepackTable t, ColumnLists cols, TableCustomizer customizer,
                                 long chunkBytes, StopGuard stop, BetweenChunks between, AtomicLong pagesDone, AtomicLong pagesTotal)
            throws SQLException {
        createEmpty(c, t, cols, customizer);
        return Transactions.repeatableRead(c, () -> {
            String snapshot;
            long chunkPages;
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT pg_catalog.pg_export_snapshot(),
                           pg_catalog.pg_relation_size(?::pg_catalog.oid::pg_catalog.regclass) / current_setting('block_size')::int,
                           greatest(1, ? / current_setting('block_size')::int)
                    """)) {
                ps.setLong(1, t.ref().oid());
                ps.setLong(2, chunkBytes);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    snapshot = rs.getString(1);
                    pagesTotal.set(rs.getLong(2));
                    chunkPages = rs.getLong(3);
                }
            }
            try (Statement st = c.createStatement()) {
                stop.run(st, () -> st.executeUpdate("DELETE FROM " + t.log()));
            }
            long rows = 0;
            String insert = "INSERT INTO " + t.copy() + " (" + cols.insert() + ") SELECT " + cols.select() + " FROM ONLY "
                    + t.original() + " o WHERE o.ctid >= ?::pg_catalog.tid";
            for (long from = 0; ; from += chunkPages) {
                boolean last = from + chunkPages >= pagesTotal.get();
                long to = from + chunkPages;
                rows += copyChunk(worker, snapshot, insert, from, last ? -1 : to, stop);
                pagesDone.set(Math.min(to, pagesTotal.get()));
                if (last) {
                    return rows;
                }
                between.run(worker);
            }
        });
    }

    /** One chunk: the rows of pages {@code from} to {@code to} (exclusive; -1: to the end) the exported snapshot sees. */
    private static long copyChunk(Connection worker, String snapshot, String insert, long from, long to, StopGuard stop)
            throws SQLException {
        return Transactions.repeatableRead(worker, () -> {
            try (Statement st = worker.createStatement()) {
                st.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(snapshot));
            }
            try (PreparedStatement ps = worker.prepareStatement(insert + (to < 0 ? "" : " AND o.ctid < ?::pg_catalog.tid"))) {
                ps.setString(1, "(" + from + ",0)");
                if (to >= 0) {
                    ps.setString(2, "(" + to + ",0)");
                }
                return stop.run(ps, () -> (long) ps.executeUpdate());
            }
        });
    }

    /**
     * The copy as {@link #copyData} would create it, but empty (CREATE TABLE AS ... WITH NO DATA),
     * and committed; a copy that exists is emptied.
     */
    private static void createEmpty(Connection c, RepackTable t, ColumnLists cols, TableCustomizer customizer) throws SQLException {
        Transactions.run(c, st -> {
            if (exists(c, t.copy())) {
                st.execute("TRUNCATE " + t.copy());
            } else {
                st.execute("SET LOCAL search_path = pg_catalog, pg_temp");
                CreateAs create = createAs(c, t, cols, customizer, false);
                st.execute("RESET search_path");
                st.execute(create.create());
                if (create.alter() != null) {
                    st.execute(create.alter());
                }
            }
        });
    }

    private static boolean exists(Connection c, String relation) throws SQLException {
        return holds(c, "SELECT pg_catalog.to_regclass(?) IS NOT NULL", relation);
    }
}
