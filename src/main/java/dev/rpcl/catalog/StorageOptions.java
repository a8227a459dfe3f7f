package dev.rpcl.catalog;

import dev.rpcl.RpclException;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Table and column settings that live in pg_class and pg_attribute: reloptions (the toast
 * table's too), per-column statistics targets, attoptions, storage and compression, CLUSTER ON
 * and the replica identity, and being a typed table (OF type). Each is compared with the copy's and only differences are set, all
 * in one ALTER TABLE, so that whatever the copy was created with ends up equal to the original;
 * except the table's own reloptions, which the engine sets at creation, possibly changed on
 * purpose by table_conf: of those only the ones the copy lacks are added.
 * Tablespace and UNLOGGED cannot be changed inside the swap (both rewrite the table): the copy
 * must be created with them, and capture refuses a copy that was not.
 */
public final class StorageOptions implements Carrier {

    private static final String BLOCKERS = """
            SELECT t.spcname::text AS tablespace, NOT pg_catalog.has_tablespace_privilege(t.oid, 'CREATE') AS no_create,
                   am.amname::text AS access_method
              FROM pg_catalog.pg_class c
              LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace
              LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
             WHERE c.oid = ?
            """;

    private static final String TABLE = """
            SELECT o.reloptions AS o_opts, n.reloptions AS n_opts,
                   ot.reloptions AS o_toast, nt.reloptions AS n_toast,
                   o.relreplident::text AS o_ident, n.relreplident::text AS n_ident,
                   o.relpersistence::text AS o_persistence, n.relpersistence::text AS n_persistence,
                   o.reltablespace = n.reltablespace AS same_tablespace,
                   o.reloftype = n.reloftype AS same_type,
                   (SELECT tn.nspname::text FROM pg_catalog.pg_type ty JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
                     WHERE ty.oid = o.reloftype) AS of_type_schema,
                   (SELECT ty.typname::text FROM pg_catalog.pg_type ty WHERE ty.oid = o.reloftype) AS of_type_name,
                   (SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = o.oid AND i.indisreplident) AS o_ident_index,
                   (SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = n.oid AND i.indisreplident) AS n_ident_index,
                   (SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = o.oid AND i.indisclustered) AS o_cluster,
                   (SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = n.oid AND i.indisclustered) AS n_cluster
              FROM pg_catalog.pg_class o
              LEFT JOIN pg_catalog.pg_class ot ON ot.oid = o.reltoastrelid,
                   pg_catalog.pg_class n
              LEFT JOIN pg_catalog.pg_class nt ON nt.oid = n.reltoastrelid
             WHERE o.oid = ? AND n.oid = pg_catalog.to_regclass(?)
            """;

    private static final String COLUMNS = """
            SELECT o.attname::text AS attname,
                   -- NULL is 17's default target, -1 before it.
                   coalesce(o.attstattarget, -1) AS o_stat, coalesce(n.attstattarget, -1) AS n_stat,
                   o.attoptions AS o_opts, n.attoptions AS n_opts,
                   o.attstorage::text AS o_storage, n.attstorage::text AS n_storage,
                   o.attcompression::text AS o_comp, n.attcompression::text AS n_comp
              FROM pg_catalog.pg_attribute o
              JOIN pg_catalog.pg_attribute n
                ON n.attrelid = pg_catalog.to_regclass(?) AND n.attname = o.attname AND NOT n.attisdropped
             WHERE o.attrelid = ? AND o.attnum > 0 AND NOT o.attisdropped
             ORDER BY o.attnum
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, BLOCKERS, table.oid())) {
            if (r.str("tablespace") != null && r.bool("no_create")) {
                out.add("table " + table.display() + " is in tablespace " + r.str("tablespace")
                        + ", where rpcl's user may not create the copy (GRANT CREATE ON TABLESPACE " + r.str("tablespace")
                        + " TO the rpcl user)");
            }
            if (!"heap".equals(r.str("access_method"))) {
                out.add("table " + table.display() + " uses the table access method " + r.str("access_method")
                        + ", and rpcl builds its copies with heap only");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> actions = actions(c, table, true);
        return actions.isEmpty() ? Carried.NONE
                : new Carried(List.of(), List.of("ALTER TABLE " + table.qualified() + " " + String.join(", ", actions)), List.of());
    }

    /**
     * Everything but the table's own options, which the swap only ever adds (never resets, as
     * table_conf may have changed them on purpose), so that one the user resets in the meantime
     * would stay on the copy. Toast options, columns, CLUSTER ON and replica identity are compared
     * both ways and can be set ahead.
     */
    @Override
    public List<String> prepare(Connection c, TableRef table) throws SQLException {
        List<String> actions = actions(c, table, false);
        return actions.isEmpty() ? List.of()
                : List.of("ALTER TABLE " + table.asCopy().qualified() + " " + String.join(", ", actions));
    }

    private static List<String> actions(Connection c, TableRef table, boolean tableOptions) throws SQLException {
        CatalogRows.Row t = CatalogRows.query(c, TABLE, table.oid(), table.copyQualified()).get(0);
        if (!t.bool("same_tablespace") || !t.str("o_persistence").equals(t.str("n_persistence"))) {
            throw RpclException.failed("The copy of table " + table.display() + " differs from it in tablespace or"
                    + " in being UNLOGGED, which cannot be changed during the swap; the swap was rolled back."
                    + " Run abort_repack for the table and report this as an rpcl bug.");
        }
        List<String> actions = new ArrayList<>();
        // The engine creates the copy WITH the original's options, changed on purpose where
        // table_conf says so (fillfactor): only options it left out are added, none overridden.
        if (tableOptions) {
            actions.addAll(missingOptions(t.list("o_opts"), t.list("n_opts")));
        }
        actions.addAll(options("toast.", t.list("o_toast"), t.list("n_toast")));
        for (CatalogRows.Row col : CatalogRows.query(c, COLUMNS, table.copyQualified(), table.oid())) {
            actions.addAll(column(col));
        }
        if (!t.bool("same_type")) {
            // A typed table (CREATE TABLE ... OF type): the copy has the same columns, so it can be typed too.
            actions.add(t.str("of_type_name") == null ? "NOT OF" : "OF " + Sql.qualified(t.str("of_type_schema"), t.str("of_type_name")));
        }
        String cluster = t.str("o_cluster");
        if (!Objects.equals(cluster, t.str("n_cluster"))) {
            actions.add(cluster == null ? "SET WITHOUT CLUSTER" : "CLUSTER ON " + Sql.ident(cluster));
        }
        String ident = t.str("o_ident");
        if (!ident.equals(t.str("n_ident")) || !Objects.equals(t.str("o_ident_index"), t.str("n_ident_index"))) {
            actions.add("REPLICA IDENTITY " + switch (ident) {
                case "f" -> "FULL";
                case "n" -> "NOTHING";
                case "i" -> "USING INDEX " + Sql.ident(t.str("o_ident_index"));
                default -> "DEFAULT";
            });
        }
        return actions;
    }

    private static List<String> column(CatalogRows.Row col) {
        String prefix = "ALTER COLUMN " + Sql.ident(col.str("attname")) + " ";
        List<String> out = new ArrayList<>();
        if (col.num("o_stat") != col.num("n_stat")) {
            out.add(prefix + "SET STATISTICS " + col.num("o_stat"));
        }
        for (String option : options("", col.list("o_opts"), col.list("n_opts"))) {
            out.add(prefix + option);
        }
        if (!col.str("o_storage").equals(col.str("n_storage"))) {
            out.add(prefix + "SET STORAGE " + switch (col.str("o_storage")) {
                case "p" -> "PLAIN";
                case "e" -> "EXTERNAL";
                case "m" -> "MAIN";
                default -> "EXTENDED";
            });
        }
        if (!col.str("o_comp").equals(col.str("n_comp"))) {
            out.add(prefix + "SET COMPRESSION " + switch (col.str("o_comp")) {
                case "p" -> "pglz";
                case "l" -> "lz4";
                default -> "default";
            });
        }
        return out;
    }

    /**
     * {@code SET (k = 'v', ...)} for options of the original that the copy lacks or holds with
     * another value, {@code RESET (k, ...)} for the copy's extra ones; keys get {@code keyPrefix}.
     */
    static List<String> options(String keyPrefix, List<String> original, List<String> copy) {
        Map<String, String> want = parse(original);
        Map<String, String> have = parse(copy);
        List<String> sets = new ArrayList<>();
        want.forEach((k, v) -> {
            if (!v.equals(have.get(k))) {
                sets.add(key(keyPrefix, k) + " = " + Sql.literal(v));
            }
        });
        List<String> resets = new ArrayList<>();
        have.keySet().stream().filter(k -> !want.containsKey(k)).forEach(k -> resets.add(key(keyPrefix, k)));
        List<String> out = new ArrayList<>();
        if (!sets.isEmpty()) {
            out.add("SET (" + String.join(", ", sets) + ")");
        }
        if (!resets.isEmpty()) {
            out.add("RESET (" + String.join(", ", resets) + ")");
        }
        return out;
    }

    /** {@code SET (k = 'v', ...)} for the original's options that the copy does not have at all. */
    static List<String> missingOptions(List<String> original, List<String> copy) {
        Map<String, String> have = parse(copy);
        List<String> sets = new ArrayList<>();
        parse(original).forEach((k, v) -> {
            if (!have.containsKey(k)) {
                sets.add(key("", k) + " = " + Sql.literal(v));
            }
        });
        return sets.isEmpty() ? List.of() : List.of("SET (" + String.join(", ", sets) + ")");
    }

    private static String key(String prefix, String name) {
        return prefix.isEmpty() ? Sql.ident(name) : Sql.ident(prefix.substring(0, prefix.length() - 1)) + "." + Sql.ident(name);
    }

    /**
     * {@code k=v} items by key. Keys starting with {@code pg_} are left out: no option a user
     * may set starts so, and some servers stamp their own there (pg_attver, kept by the server
     * and ignored when set), which must not be copied or reset.
     */
    static Map<String, String> parse(List<String> options) {
        Map<String, String> out = new LinkedHashMap<>();
        if (options != null) {
            for (String o : options) {
                int eq = o.indexOf('=');
                String key = o.substring(0, eq);
                if (!key.startsWith("pg_")) {
                    out.put(key, o.substring(eq + 1));
                }
            }
        }
        return out;
    }
}
