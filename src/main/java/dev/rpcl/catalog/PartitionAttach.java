package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A leaf partition leaves its partitioned table before the move and the new table is attached
 * with the same bound after it; PostgreSQL then attaches its indexes (same names, same
 * definitions) to the parent's partitioned indexes and clones the parent's triggers and foreign
 * keys onto it. ATTACH would scan the whole new table under the lock to prove the bound, unless
 * a valid CHECK constraint implies it: the engine adds {@link #boundCheck} to the copy when it
 * creates it (while it is empty), and the swap drops that constraint again once attached.
 * DETACH locks the parent ACCESS EXCLUSIVE for the rest of the swap.
 */
public final class PartitionAttach implements Carrier {

    /** The CHECK constraint that carries the partition bound on the copy until the attach. */
    public static final String BOUND_CHECK = "z_repcloud_partition_bound";

    private static final String PARTITION = """
            SELECT pn.nspname::text AS parent_schema, p.relname::text AS parent_name,
                   pg_catalog.pg_get_userbyid(p.relowner) AS parent_owner,
                   pg_catalog.pg_has_role(p.relowner, 'MEMBER') AS parent_member,
                   pg_catalog.pg_get_expr(o.relpartbound, o.oid) AS bound,
                   pg_catalog.pg_get_partition_constraintdef(o.oid) AS bound_expr,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                            WHERE k.contype = 'f' AND k.confrelid = o.oid) AS referenced,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                            WHERE k.contype = 'f' AND k.conrelid = o.oid AND k.conparentid <> 0) AS inherits_foreign_keys,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                            WHERE k.conrelid = pg_catalog.to_regclass(?) AND k.conname = ?) AS copy_has_check
              FROM pg_catalog.pg_class o
              JOIN pg_catalog.pg_inherits i ON i.inhrelid = o.oid
              JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
              JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
             WHERE o.oid = ? AND o.relispartition
            """;

    private static List<CatalogRows.Row> partition(Connection c, TableRef table) throws SQLException {
        return CatalogRows.query(c, PARTITION, table.copyQualified(), BOUND_CHECK, table.oid());
    }

    /**
     * For the engine, when it creates the copy of a leaf partition: the statement that adds the
     * partition bound to the copy as a CHECK constraint, so that the attach at the swap needs
     * no scan. Empty when the table is no partition or its bound implies nothing (a lone DEFAULT).
     */
    public static Optional<String> boundCheck(Connection c, TableRef table) throws SQLException {
        for (CatalogRows.Row r : partition(c, table)) {
            if (r.str("bound_expr") != null) {
                return Optional.of("ALTER TABLE " + table.copyQualified() + " ADD CONSTRAINT " + Sql.ident(BOUND_CHECK)
                        + " CHECK " + r.str("bound_expr"));
            }
        }
        return Optional.empty();
    }

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : partition(c, table)) {
            String parent = r.str("parent_schema") + "." + r.str("parent_name");
            if (!r.bool("parent_member")) {
                out.add("table " + table.display() + " is a partition of " + parent + ", owned by role " + r.str("parent_owner")
                        + ", and rpcl's user is not a member of it, so it cannot detach and attach the partition (GRANT "
                        + r.str("parent_owner") + " TO the rpcl user)");
            }
            if (r.bool("inherits_foreign_keys")) {
                out.add("table " + table.display() + " is a partition of " + parent + ", whose foreign keys attaching the"
                        + " new partition would check again row by row while the tables are locked");
            }
            if (r.bool("referenced")) {
                out.add("table " + table.display() + " is a partition of " + parent + ", which foreign keys reference:"
                        + " detaching it would scan the referencing tables while the tables are locked");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : partition(c, table)) {
            String parent = Sql.qualified(r.str("parent_schema"), r.str("parent_name"));
            before.add("ALTER TABLE " + parent + " DETACH PARTITION " + table.qualified());
            after.add("ALTER TABLE " + parent + " ATTACH PARTITION " + table.qualified() + " " + r.str("bound"));
            if (r.bool("copy_has_check")) {
                after.add("ALTER TABLE " + table.qualified() + " DROP CONSTRAINT " + Sql.ident(BOUND_CHECK));
            }
        }
        return new Carried(before, after, List.of());
    }
}
