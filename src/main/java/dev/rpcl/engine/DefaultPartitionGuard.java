package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a partition be swapped beside a default partition without scanning the default one
 * under the lock. ATTACH PARTITION must prove that the default partition holds no row of the
 * new partition's bounds; it scans it unless a valid CHECK constraint implies so. Before the
 * swap, the default partition gets that constraint, {@code CHECK (NOT (<the partition's
 * constraint>))}, added NOT VALID (a moment's ACCESS EXCLUSIVE lock, bounded and retried) and
 * validated (a scan under SHARE UPDATE EXCLUSIVE, which lets the application read and write);
 * every row there satisfies it, since a row of those bounds is routed to the partition. The
 * swap drops it after the ATTACH; a cleanup drops it if a repack stops before.
 */
final class DefaultPartitionGuard {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultPartitionGuard.class);

    /** The default partition beside a partition of a top-level partitioned table, and the guard's state there. */
    private static final String STATE = """
            SELECT quote_ident(dn.nspname) || '.' || quote_ident(d.relname) AS default_partition,
                   pg_catalog.pg_get_partition_constraintdef(i.inhrelid) AS bound,
                   (SELECT k.convalidated FROM pg_catalog.pg_constraint k
                     WHERE k.conrelid = d.oid AND k.conname = ?) AS guard_valid
              FROM pg_catalog.pg_inherits i
              JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = i.inhparent
              JOIN pg_catalog.pg_class d ON d.oid = pt.partdefid
              JOIN pg_catalog.pg_namespace dn ON dn.oid = d.relnamespace
             WHERE i.inhrelid = ? AND pt.partdefid <> i.inhrelid
            """;

    /** Every guard of a repack, wherever it is (the default partition may have been replaced since). */
    private static final String GUARDS = """
            SELECT quote_ident(n.nspname) || '.' || quote_ident(r.relname) AS relation
              FROM pg_catalog.pg_constraint k
              JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
             WHERE k.conname = ? AND k.contype = 'c'
            """;

    private DefaultPartitionGuard() {
    }

    /** The guard's name: one per repacked partition, by its OID when the repack started. */
    static String name(RepackTable t) {
        return "rpcl_not_in_" + t.ref().oid();
    }

    /** The default partition beside this partition, quoted, if there is one. */
    static Optional<String> defaultPartition(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STATE)) {
            ps.setString(1, name(t));
            ps.setLong(2, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString("default_partition")) : Optional.empty();
            }
        }
    }

    /** Adds and validates the guard, unless it is there and valid already (a resumed repack). */
    static void ensure(Connection c, RepackTable t, Duration lockTimeout, int attempts) throws SQLException {
        String defaultPartition;
        String bound;
        Boolean valid;
        try (PreparedStatement ps = c.prepareStatement(STATE)) {
            ps.setString(1, name(t));
            ps.setLong(2, t.ref().oid());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                defaultPartition = rs.getString("default_partition");
                bound = rs.getString("bound");
                valid = (Boolean) rs.getObject("guard_valid");
            }
        }
        String guard = Sql.ident(name(t));
        if (valid == null) {
            addWithRetries(c, t, "ALTER TABLE " + defaultPartition + " ADD CONSTRAINT " + guard + " CHECK (NOT (" + bound
                    + ")) NOT VALID", lockTimeout, attempts);
        }
        if (!Boolean.TRUE.equals(valid)) {
            long start = System.nanoTime();
            try (Statement st = c.createStatement()) {
                // SHARE UPDATE EXCLUSIVE: waits for DDL only, never blocks the application's reads and writes.
                st.execute("ALTER TABLE " + defaultPartition + " VALIDATE CONSTRAINT " + guard);
            }
            LOG.info("{}: default partition {} checked to hold none of its rows in {} ms, so that the swap's ATTACH does"
                    + " not scan it under the lock", t.display(), defaultPartition, Elapsed.msSince(start));
        }
    }

    private static void addWithRetries(Connection c, RepackTable t, String add, Duration lockTimeout, int attempts)
            throws SQLException {
        LockRetry retry = new LockRetry(lockTimeout, attempts);
        if (!retry.run(c, 0, () -> { }, st -> st.execute(add), () -> LOG.info("{}: adding a constraint to the default partition waits"
                + " for a lock; attempt {} timed out, retrying", t.display(), retry.attempts()))) {
            throw RpclException.failed("The default partition beside " + t.display() + " stayed locked by other"
                    + " sessions through " + retry.attempts() + " attempts to add rpcl's constraint to it; run"
                    + " repack_tables again when it is quieter");
        }
    }

    /** The statement the swap runs after the ATTACH. */
    static String dropStatement(String defaultPartition, RepackTable t) {
        return "ALTER TABLE " + defaultPartition + " DROP CONSTRAINT IF EXISTS " + Sql.ident(name(t));
    }

    /** Drops the guard wherever it is, in the caller's transaction. */
    static void dropAll(Connection c, Statement st, RepackTable t) throws SQLException {
        List<String> relations = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(GUARDS)) {
            ps.setString(1, name(t));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    relations.add(rs.getString(1));
                }
            }
        }
        for (String relation : relations) {
            st.execute("ALTER TABLE " + relation + " DROP CONSTRAINT IF EXISTS " + Sql.ident(name(t)));
        }
    }
}
