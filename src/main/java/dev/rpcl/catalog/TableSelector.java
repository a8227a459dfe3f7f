package dev.rpcl.catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Which tables a connection's {@code schemas} and {@code tables} lists select (both empty: every
 * table), with their row identity and estimated wasted space, largest waste first. Ordinary
 * tables only (a partitioned table stands for its leaf partitions, which hold its rows), never
 * temp, catalog or helper schemas; tables that cannot be repacked come back
 * with the reason, so the caller can say why they were skipped.
 */
public final class TableSelector {

    /**
     * The wasted space is estimated as the heap's current size minus the pages its live rows
     * would need at the table's fillfactor (24-byte tuple header, 4-byte line pointer, average
     * widths from pg_stats). The live row count comes from the cumulative statistics
     * (n_live_tup), which follow every DELETE, rather than reltuples, which is only as fresh as the
     * last ANALYZE: a table is typically repacked right after a mass delete, before autovacuum
     * has looked at it. Without column widths (never analyzed) the dead share of the rows stands
     * in; without any statistics there is no estimate (NULL, Candidate.UNKNOWN).
     */
    private static final String CANDIDATES = """
            WITH t AS (
                SELECT c.oid, n.nspname, c.relname, c.relispartition, c.relowner,
                       c.relrowsecurity AND c.relforcerowsecurity AS forced_rls,
                       pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::int AS relpages,
                       coalesce(pg_catalog.pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast_bytes,
                       CASE WHEN s.n_live_tup > 0 OR s.n_dead_tup > 0 THEN s.n_live_tup::float8
                            ELSE c.reltuples::float8 END AS reltuples,
                       coalesce(s.n_live_tup, 0) AS n_live, coalesce(s.n_dead_tup, 0) AS n_dead,
                       coalesce((SELECT option_value::int FROM pg_catalog.pg_options_to_table(c.reloptions)
                                  WHERE option_name = 'fillfactor'), 100) AS fillfactor
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_catalog.pg_stat_all_tables s ON s.relid = c.oid
                 WHERE c.relkind = 'r'
                   AND c.relpersistence <> 't'
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast',
                                         'sch_repcloud', 'sch_repnew', 'sch_repdrop')
                   AND n.nspname !~ '^pg_(toast_)?temp_'
                   AND ((cardinality(?::text[]) = 0 AND cardinality(?::text[]) = 0)
                        OR n.nspname = ANY (?::text[])
                        OR n.nspname || '.' || c.relname = ANY (?::text[])
                        -- A partitioned table named in tables: its leaves, at any depth.
                        OR (c.relispartition AND EXISTS (
                               SELECT 1 FROM pg_catalog.pg_partition_ancestors(c.oid) a
                                 JOIN pg_catalog.pg_class ac ON ac.oid = a.relid
                                 JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace
                                WHERE an.nspname || '.' || ac.relname = ANY (?::text[]))))
                   -- exclude_schemas and exclude_tables, as anchored regular expressions (Selection.regex).
                   AND NOT n.nspname ~ ANY (?::text[])
                   AND NOT n.nspname || '.' || c.relname ~ ANY (?::text[])
            ), width AS (
                SELECT t.oid, sum((1 - s.null_frac) * s.avg_width) AS row_width
                  FROM t JOIN pg_catalog.pg_stats s ON s.schemaname = t.nspname AND s.tablename = t.relname
                 GROUP BY t.oid
            )
            SELECT t.oid, t.nspname, t.relname, t.relispartition, t.forced_rls,
                   t.relpages, t.toast_bytes, t.fillfactor, w.row_width, current_setting('block_size')::int AS block_size,
                   ARRAY(SELECT quote_ident(a.attname) FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attlen = -1
                            AND a.attstorage IN ('x', 'e') ORDER BY a.attnum) AS toastable,
                   (SELECT rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user) AS bypassrls,
                   pg_catalog.pg_has_role(current_user, t.relowner, 'USAGE') AS owned, current_user AS me,
                   pg_catalog.pg_get_userbyid(t.relowner) AS owner,
                   pg_catalog.pg_total_relation_size(t.oid) AS total_bytes,
                   CASE WHEN t.reltuples < 0 THEN NULL
                        WHEN w.row_width IS NULL THEN
                             CASE WHEN t.n_live + t.n_dead = 0 THEN 0
                                  ELSE (t.relpages * t.n_dead / (t.n_live + t.n_dead))::bigint
                                       * current_setting('block_size')::int END
                        ELSE greatest(0, t.relpages - ceil(t.reltuples * (24 + 4 + w.row_width)
                             / ((current_setting('block_size')::int - 24) * t.fillfactor / 100.0)))::bigint
                             * current_setting('block_size')::int
                   END AS wasted_bytes,
                   (SELECT pt.partrelid FROM pg_catalog.pg_inherits i
                      JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = i.inhparent WHERE i.inhrelid = t.oid) AS parent
              FROM t LEFT JOIN width w ON w.oid = t.oid
             ORDER BY wasted_bytes DESC NULLS LAST, t.nspname, t.relname
            """;

    /**
     * The primary key first, else the narrowest unique, valid, non-partial index without
     * expressions whose columns are all NOT NULL (by a valid constraint: 18's NOT NULL
     * NOT VALID leaves attnotnull set over rows that may hold NULLs). A key WITHOUT OVERLAPS (18)
     * is unique by exclusion, not by equality, and its GiST operator class's strategy 3 is
     * "overlaps": it is never taken as the row identity. A DEFERRABLE key is a key like any other
     * to rpcl, which reads committed rows only, where it is unique (pg_repack repacks such tables
     * too); the replay checks deferred constraints at once.
     */
    private static final String KEY = """
            SELECT CASE WHEN i.indisprimary THEN 'primary key ' ELSE 'unique index ' END || ic.relname AS source,
                   array_agg(a.attname::text ORDER BY k.ord) AS cols
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
             CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = ? AND i.indisunique AND NOT i.indisexclusion AND i.indisvalid AND i.indpred IS NULL
             GROUP BY i.indexrelid, i.indisprimary, ic.relname, i.indnkeyatts
            HAVING bool_and(k.attnum > 0 AND a.attnotnull
                            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint nn
                                             WHERE nn.conrelid = i.indrelid AND nn.contype = 'n' AND NOT nn.convalidated
                                               AND nn.conkey[1] = k.attnum))
             ORDER BY i.indisprimary DESC, i.indnkeyatts, ic.relname
             LIMIT 1
            """;

    private TableSelector() {
    }

    /**
     * What a connection selects: {@code schemas} and {@code tables} by name (a partitioned table
     * meaning its leaf partitions), minus what {@code excludeSchemas} and {@code excludeTables}
     * match; their patterns may use {@code *} (any characters) and {@code ?} (one character).
     */
    public record Selection(List<String> schemas, List<String> tables, List<String> excludeSchemas, List<String> excludeTables) {
        public Selection {
            schemas = List.copyOf(schemas);
            tables = List.copyOf(tables);
            excludeSchemas = List.copyOf(excludeSchemas);
            excludeTables = List.copyOf(excludeTables);
        }

        /** Just these schemas and tables, nothing excluded. */
        public static Selection of(List<String> schemas, List<String> tables) {
            return new Selection(schemas, tables, List.of(), List.of());
        }

        /** A pattern as an anchored PostgreSQL regular expression: * and ? are wildcards, everything else literal. */
        static String regex(String pattern) {
            StringBuilder out = new StringBuilder("^");
            for (char ch : pattern.toCharArray()) {
                switch (ch) {
                    case '*' -> out.append(".*");
                    case '?' -> out.append('.');
                    default -> {
                        if (!Character.isLetterOrDigit(ch) && ch != '_') {
                            out.append('\\');
                        }
                        out.append(ch);
                    }
                }
            }
            return out.append('$').toString();
        }
    }

    /** The configured tables, qualifying or not, largest estimated waste first. */
    public static List<Candidate> select(Connection c, Selection sel) throws SQLException {
        List<Sampling> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CANDIDATES)) {
            Array s = c.createArrayOf("text", sel.schemas().toArray());
            Array t = c.createArrayOf("text", sel.tables().toArray());
            ps.setArray(1, s);
            ps.setArray(2, t);
            ps.setArray(3, s);
            ps.setArray(4, t);
            ps.setArray(5, t);
            ps.setArray(6, c.createArrayOf("text", sel.excludeSchemas().stream().map(Selection::regex).toArray()));
            ps.setArray(7, c.createArrayOf("text", sel.excludeTables().stream().map(Selection::regex).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long oid = rs.getLong("oid");
                    String schema = rs.getString("nspname");
                    String name = rs.getString("relname");
                    String reason = null;
                    if (rs.getBoolean("relispartition")) {
                        reason = PartitionSwap.unsupported(c, oid, rs.getLong("parent"));
                    } else if (rs.getBoolean("forced_rls") && !rs.getBoolean("bypassrls")) {
                        reason = "it has FORCE ROW LEVEL SECURITY, so even its owner sees only some rows; rpcl would copy"
                                + " only those. Repack it as a role with BYPASSRLS, or after ALTER TABLE ... NO FORCE ROW LEVEL SECURITY";
                    } else if (!rs.getBoolean("owned")) {
                        reason = "it belongs to " + rs.getString("owner") + " and the connection's user " + rs.getString("me")
                                + " is not a member of that role (only the owner can swap a table)";
                    }
                    long wasted = rs.getLong("wasted_bytes");
                    if (rs.wasNull()) {
                        wasted = Candidate.UNKNOWN;
                    }
                    Candidate cand = new Candidate(oid, schema, name, List.of(), null, rs.getLong("total_bytes"), wasted, reason);
                    double width = rs.getDouble("row_width");
                    Double statsWidth = rs.wasNull() ? null : width;
                    out.add(new Sampling(cand, rs.getLong("relpages"), rs.getLong("toast_bytes"), rs.getInt("fillfactor"),
                            statsWidth, rs.getInt("block_size"), Arrays.asList((String[]) rs.getArray("toastable").getArray())));
                }
            }
        }
        List<Candidate> keyed = new ArrayList<>(out.size());
        for (Sampling sm : out) {
            Candidate cand = sm.cand();
            if (cand.qualifies()) {
                cand = withKey(c, cand);
            }
            keyed.add(cand.qualifies() ? sampled(c, sm, cand) : cand);
        }
        keyed.sort(Comparator.comparingLong(Candidate::wastedBytes).reversed()
                .thenComparing(Candidate::schema).thenComparing(Candidate::name));
        return keyed;
    }

    /** A candidate with what {@link #sampled} needs: heap pages, fillfactor, average row width from pg_stats. */
    private record Sampling(Candidate cand, long relpages, long toastBytes, int fillfactor, Double statsWidth, int blockSize,
                            List<String> toastable) {
    }

    /**
     * Each B-tree index on plain, non-partial columns, with the average width of its key from
     * pg_stats; other indexes (expressions, partial, other access methods) are not estimated.
     */
    private static final String INDEX_WIDTHS = """
            SELECT pg_catalog.pg_relation_size(i.indexrelid) AS bytes,
                   (SELECT sum(st.avg_width) FROM unnest(i.indkey) k(attnum)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                      JOIN pg_catalog.pg_namespace n ON n.oid = (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = i.indrelid)
                      JOIN pg_catalog.pg_stats st ON st.schemaname = n.nspname
                                                 AND st.tablename = (SELECT relname FROM pg_catalog.pg_class WHERE oid = i.indrelid)
                                                 AND st.attname = a.attname) AS width,
                   i.indnatts AS columns,
                   (SELECT count(*) FROM unnest(i.indkey) k(attnum) WHERE k.attnum > 0) AS plain
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_catalog.pg_am am ON am.oid = ic.relam
             WHERE i.indrelid = ? AND am.amname = 'btree' AND i.indpred IS NULL AND i.indexprs IS NULL
            """;

    /**
     * What the B-tree indexes hold beyond the entries of {@code live} rows, built anew as CREATE
     * INDEX builds them: leaf pages 90% full, an entry its key padded to 8 bytes after an 8-byte
     * header, and a line pointer.
     */
    private static long indexWaste(Connection c, Candidate cand, double live, int blockSize) throws SQLException {
        long waste = 0;
        for (CatalogRows.Row r : CatalogRows.query(c, INDEX_WIDTHS, cand.oid())) {
            Object width = r.values().get("width");
            if (width == null || r.num("plain") != r.num("columns")) {
                continue;
            }
            double entry = Math.ceil((8 + ((Number) width).doubleValue()) / 8) * 8 + 4;
            long needed = (long) Math.ceil(live * entry / ((blockSize - 24 - 16) * 0.9)) * blockSize;
            waste += Math.max(0, r.num("bytes") - needed - blockSize);
        }
        return waste;
    }

    /** Stored values larger than this are taken to be out of line, in TOAST (the toaster works until a row fits in about 2 kB). */
    private static final int TOASTED = 2000;

    /** Pages read at most to count a table's live rows: 16 MB; a smaller table is counted whole. */
    static final int SAMPLE_PAGES = 2000;

    /**
     * The waste again, with the live rows counted in a sample of the table's pages rather than
     * taken from the statistics: n_live_tup is wrong after a statistics reset (a crash, a
     * pg_stat_reset, a database made from a template) and when counters reach the collector
     * after an ANALYZE, and reltuples is as old as the last ANALYZE. The rows' width is pg_stats'
     * (as before), else the sampled rows' own size, padded as tuples are. The TOAST relation's
     * waste is its size beyond what the sampled rows' out-of-line values need. The sample's pages
     * are the same from run to run (REPEATABLE), so a plan and the run after it agree on an
     * unchanged table.
     */
    private static Candidate sampled(Connection c, Sampling sm, Candidate cand) throws SQLException {
        if (sm.relpages() == 0) {
            return cand;
        }
        double percent = Math.min(100.0, 100.0 * SAMPLE_PAGES / sm.relpages());
        // The whole row's size detoasts it: only when pg_stats has no widths.
        String wholeRowSize = sm.statsWidth() == null ? "avg(pg_catalog.pg_column_size(t.*))" : "0";
        // Each out-of-line value as TOAST stores it: chunks of 1996 bytes, a full one taking 2036
        // bytes of a page with its header and line pointer, the last one what it holds plus 40, padded.
        String toast = sm.toastable().isEmpty() ? "" : " LEFT JOIN LATERAL (SELECT sum(ceil(v.s / 1996.0)) AS chunks,"
                + " sum((ceil(v.s / 1996.0) - 1) * 2036 + ceil((v.s - (ceil(v.s / 1996.0) - 1) * 1996 + 36) / 8.0) * 8 + 4) AS foot"
                + " FROM (VALUES " + sm.toastable().stream().map(col -> "(pg_catalog.pg_column_size(t." + col + "))")
                        .collect(java.util.stream.Collectors.joining(", "))
                + ") v(s) WHERE v.s > " + TOASTED + ") x ON true";
        String sql = "SELECT count(*), coalesce(" + wholeRowSize + ", 0), "
                + (toast.isEmpty() ? "0, 0" : "coalesce(sum(x.chunks), 0), coalesce(sum(x.foot), 0)")
                + " FROM ONLY " + dev.rpcl.db.Sql.qualified(cand.schema(), cand.name()) + " t"
                + (percent < 100 ? String.format(java.util.Locale.ROOT, " TABLESAMPLE SYSTEM (%.6f) REPEATABLE (0)", percent) : "")
                + toast;
        long rows;
        double wholeRow;
        double chunks;
        double footprint;
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            rows = rs.getLong(1);
            wholeRow = rs.getDouble(2);
            chunks = rs.getDouble(3) * 100.0 / percent;
            footprint = rs.getDouble(4) * 100.0 / percent;
        }
        double live = rows * 100.0 / percent;
        // A line pointer, then the tuple, padded to 8 bytes: header and columns by pg_stats, or
        // the sampled row as a whole (header included).
        double tuple = sm.statsWidth() != null ? 24 + sm.statsWidth() : wholeRow;
        double rowBytes = 4 + Math.ceil(tuple / 8) * 8;
        double usable = (sm.blockSize() - 24) * sm.fillfactor() / 100.0;
        long pagesNeeded = (long) Math.ceil(live * rowBytes / usable);
        long wasted = Math.max(0, sm.relpages() - pagesNeeded) * sm.blockSize();
        wasted += indexWaste(c, cand, live, sm.blockSize());
        // TOAST: what it holds beyond the live rows' chunks, packed as whole chunks per page.
        if (chunks > 0) {
            double perPage = Math.max(1, Math.floor((sm.blockSize() - 24) / (footprint / chunks)));
            long toastNeeded = (long) Math.ceil(chunks / perPage) * sm.blockSize();
            wasted += Math.max(0, sm.toastBytes() - toastNeeded);
        } else {
            wasted += sm.toastBytes();
        }
        return new Candidate(cand.oid(), cand.schema(), cand.name(), cand.keyColumns(), cand.keySource(), cand.totalBytes(),
                wasted, cand.skipReason());
    }

    /** Entries of schemas and tables that name nothing: a typo there must stop the run, not select nothing. */
    private static final String MISSING = """
            SELECT 'schema ' || s AS missing FROM unnest(?::text[]) s
             WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = s)
            UNION ALL
            SELECT 'table ' || t FROM unnest(?::text[]) t
             WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname || '.' || c.relname = t AND c.relkind IN ('r', 'p'))
            """;

    /** What the selection names that does not exist (or is not a table), as "schema x" and "table s.t". */
    public static List<String> missing(Connection c, Selection sel) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(MISSING)) {
            ps.setArray(1, c.createArrayOf("text", sel.schemas().toArray()));
            ps.setArray(2, c.createArrayOf("text", sel.tables().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static boolean hasTemporalKey(Connection c, long oid) throws SQLException {
        return CatalogRows.query(c, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index"
                + " WHERE indrelid = ? AND indisunique AND indisexclusion) AS temporal", oid).get(0).bool("temporal");
    }

    private static Candidate withKey(Connection c, Candidate cand) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(KEY)) {
            ps.setLong(1, cand.oid());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Candidate(cand.oid(), cand.schema(), cand.name(), List.of(), null, cand.totalBytes(),
                            cand.wastedBytes(), "it has no primary key and no unique, valid, non-partial index on NOT NULL "
                                    + "columns to identify its rows" + (hasTemporalKey(c, cand.oid())
                                            ? " (a key WITHOUT OVERLAPS identifies rows by non-overlap, not by equality;"
                                                    + " add a UNIQUE constraint on the same columns to repack it)"
                                            : "; add a primary key to repack it, or list it in exclude_tables"));
                }
                List<String> cols = Arrays.asList((String[]) rs.getArray("cols").getArray());
                return new Candidate(cand.oid(), cand.schema(), cand.name(), cols, rs.getString("source"),
                        cand.totalBytes(), cand.wastedBytes(), null);
            }
        }
    }
}
