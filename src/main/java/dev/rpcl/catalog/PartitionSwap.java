package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Swapping a leaf partition: inside the swap, the old partition is detached from its partitioned
 * table and the copy attached with the same bounds (its indexes and primary key attach to the
 * parent's). DETACH takes an ACCESS EXCLUSIVE lock on the partitioned table, so the swap locks the
 * parent first, as queries do. The copy carries a CHECK constraint equal to the partition
 * constraint, so ATTACH needs no scan, and drops it after. Only the plain case is supported: a
 * direct partition of a top-level partitioned table that has no default partition, no CHECK or
 * foreign key constraints, no triggers, and no foreign key referencing it; other partitions are
 * skipped with the reason.
 */
public final class PartitionSwap {
    /** The CHECK constraint the copy of a partition carries until it is attached. */
    public static final String BOUND_CHECK = "rpcl_partition_bound";

    /** The partitioned parent, quoted, and the partition's bound spec (FOR VALUES ...). */
    public record Parent(String qualified, String bound, String constraint) {
    }

    private static final String CHECK = """
            SELECT p.relispartition AS nested,
                   pt.partdefid <> 0 AS has_default,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = p.oid AND contype IN ('c', 'f')) AS constraints,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE confrelid = p.oid) AS referenced,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = p.oid AND NOT tgisinternal) AS triggers
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
            ps.setLong(1, parentOid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "its partitioned table was not found";
                }
                String why = rs.getBoolean("nested") ? "is itself a partition (sub-partitioning)"
                        : rs.getBoolean("has_default") ? "has a default partition, which ATTACH would scan under the lock"
                        : rs.getBoolean("constraints") ? "has CHECK or foreign key constraints"
                        : rs.getBoolean("referenced") ? "is referenced by a foreign key, which DETACH would check under the lock"
                        : rs.getBoolean("triggers") ? "has triggers its partitions inherit"
                        : null;
                return why == null ? null : "it is a partition and its partitioned table " + why
                        + "; rpcl swaps only partitions of plain partitioned tables";
            }
        }
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
