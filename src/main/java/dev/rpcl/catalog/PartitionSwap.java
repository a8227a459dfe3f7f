package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Swapping a leaf partition: inside the swap, the old partition is detached from its partitioned
 * table and the copy attached with the same bounds (its indexes and primary key attach to the
 * parent's). DETACH takes an ACCESS EXCLUSIVE lock on the partitioned table, so the swap locks the
 * parent first, as queries do. The copy carries a CHECK constraint equal to the partition
 * constraint, so ATTACH needs no scan, and drops it after. Partitions at any depth are swapped,
 * under parents with CHECK constraints, row triggers and a default partition (which the engine
 * guards so that ATTACH need not scan it: DefaultPartitionGuard) and foreign keys (the copy gets
 * them before the swap, validated, and ATTACH takes them over without a scan:
 * {@link #foreignKeysForCopy}); a partition whose parents are referenced by foreign keys, or a default
 * partition beside a sub-partition, is skipped with the reason.
 */
public final class PartitionSwap {
    /** The CHECK constraint the copy of a partition carries until it is attached. */
    public static final String BOUND_CHECK = "rpcl_partition_bound";

    /** The partitioned parent, quoted, and the partition's bound spec (FOR VALUES ...). */
    public record Parent(String qualified, String bound, String constraint) {
    }

    /**
     * What the DETACH and ATTACH would do under the lock beyond moving the partition. Checked on
     * the direct parent and its ancestors, whose foreign keys its partitions inherit too. CHECK
     * constraints and row triggers of the parents need nothing: the copy has the CHECKs, which
     * ATTACH merges (they become inherited again, as before), and ATTACH clones the triggers.
     */
    private static final String CHECK = """
            SELECT pt.partdefid NOT IN (0, ?) AND (p.relispartition
                       OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = pt.partdefid) = 'p') AS unguarded_default,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_partition_ancestors(p.oid) a
                             JOIN pg_catalog.pg_constraint k ON k.confrelid = a.relid) AS referenced
              FROM pg_catalog.pg_class p JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = p.oid
             WHERE p.oid = ?
            """;

    private static final String PARENT = """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(p.relname),
                   pg_catalog.pg_get_expr(c.relpartbound, c.oid), pg_catalog.pg_get_partition_constraintdef(c.oid)
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid
              JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
              JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
             WHERE c.oid = ? AND c.relispartition
            """;

    private PartitionSwap() {
    }

    /** Why this partition cannot be swapped, or null when it can. */
    static String unsupported(Connection c, long oid, long parentOid) throws SQLException {
        if (parentOid == 0) {
            return "it is a partition of a table that is not partitioned by range, list or hash";
        }
        try (PreparedStatement ps = c.prepareStatement(CHECK)) {
            ps.setLong(1, oid);
            ps.setLong(2, parentOid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "its partitioned table was not found";
                }
                String why = rs.getBoolean("unguarded_default") ? "has a default partition that rpcl cannot keep ATTACH"
                        + " from scanning under the lock (the partitioned table is itself a partition, or the default partition"
                        + " is partitioned)"
                        : rs.getBoolean("referenced") ? "is referenced by a foreign key, which DETACH would check under the lock"
                        : null;
                return why == null ? null : "it is a partition and its partitioned table " + why;
            }
        }
    }

    /** A foreign key the copy of a partition is given before the swap, as its partitioned table has it. */
    public record ForeignKey(String name, String definition, boolean validated) {
    }

    /**
     * The partition's foreign keys that come from its partitioned tables, and that the copy does
     * not have yet. ATTACH takes over a key of the copy that matches the parent's, validated, as
     * it is; without one it would add and validate one on the whole copy, under the swap's lock.
     * Definitions are deparsed with the caller's search_path.
     */
    private static final String FOREIGN_KEYS_FOR_COPY = """
            SELECT k.conname, pg_catalog.pg_get_constraintdef(k.oid) AS def, k.convalidated
              FROM pg_catalog.pg_constraint k
              -- From the partitioned table, not the clones a key referencing a partitioned table
              -- has on its own table, one per referenced partition.
              JOIN pg_catalog.pg_constraint parent ON parent.oid = k.conparentid AND parent.conrelid <> k.conrelid
             WHERE k.conrelid = ? AND k.contype = 'f'
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint m
                                WHERE m.conrelid = pg_catalog.to_regclass(?) AND m.conname = k.conname)
             ORDER BY k.conname
            """;

    public static List<ForeignKey> foreignKeysForCopy(Connection c, TableRef table) throws SQLException {
        List<ForeignKey> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, FOREIGN_KEYS_FOR_COPY, table.oid(), table.copyQualified())) {
            out.add(new ForeignKey(r.str("conname"), ForeignKeyCarrier.withoutNotValid(r.str("def")), r.bool("convalidated")));
        }
        return out;
    }

    /** The partitioned table and bounds of a partition, or empty for an ordinary table. */
    public static Optional<Parent> parentOf(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(PARENT)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Parent(rs.getString(1), rs.getString(2), rs.getString(3))) : Optional.empty();
            }
        }
    }
}
