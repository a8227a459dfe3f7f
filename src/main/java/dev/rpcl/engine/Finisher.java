package dev.rpcl.engine;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the swaps: runs each post-commit statement once (VALIDATE CONSTRAINT of the foreign keys
 * added NOT VALID; a foreign key between two repacked tables is validated once, after both swaps), then
 * ANALYZE, and marks the tables complete. None of this blocks the application's reads or writes
 * of the table; a failure leaves the table repacked with a warning.
 */
final class Finisher {
    private static final Logger LOG = LoggerFactory.getLogger(Finisher.class);
    private static final int ATTEMPTS = 5;

    private Finisher() {
    }

    /**
     * {@code dropsInFlight} waits for the old tables still being dropped on another connection
     * ({@link OldTableDrops}); their VALIDATE and ANALYZE run meanwhile.
     */
    static Map<String, String> finish(Connection c, ConnectionConfig cfg, Runnable dropsInFlight) throws SQLException {
        Map<String, String> warnings = new LinkedHashMap<>();
        if (!HelperSchema.exists(c)) {
            return warnings;
        }
        List<RepackState.Row> rows = new ArrayList<>();
        for (RepackState.Row r : RepackState.withStatus(c, RepackState.IN_PROGRESS)) {
            if (r.step() == Step.VALIDATE) {
                rows.add(r);
            }
        }
        if (rows.isEmpty()) {
            return warnings;
        }
        Set<String> done = new LinkedHashSet<>();
        for (RepackState.Row r : rows) {
            String table = r.schema() + "." + r.name();
            Database.setApplicationName(c, table, Step.VALIDATE.dbValue());
            long start = System.nanoTime();
            for (String sql : r.afterCommit()) {
                if (done.add(sql)) {
                    String problem = execute(c, cfg, sql);
                    if (problem != null) {
                        warnings.merge(table, problem, (a, b) -> a + "; " + b);
                    }
                }
            }
            if (cfg.analyzeTables()) {
                String problem = execute(c, cfg, "ANALYZE " + Sql.qualified(r.schema(), r.name()));
                if (problem != null) {
                    warnings.merge(table, problem, (a, b) -> a + "; " + b);
                }
            }
            // After the drops in flight, what they left (or an interrupted run's swap left) goes now.
            dropsInFlight.run();
            String problem = dropOldTable(c, cfg, RepackTable.of(r.oldOid(), r.schema(), r.name(), r.keyColumns()));
            if (problem != null) {
                // Left unfinished: the next repack_tables (or abort_repack) finishes it.
                warnings.merge(table, problem, (a, b) -> a + "; " + b);
                continue;
            }
            RepackState.completed(c, r.schema(), r.name(), Sizes.total(c, r.schema(), r.name()));
            LOG.info("{}: finished in {} ms ({} post-swap statement(s){})", table, Elapsed.msSince(start),
                    r.afterCommit().size(), cfg.analyzeTables() ? ", ANALYZE" : "");
        }
        return warnings;
    }

    /**
     * The old table's foreign keys first, in a transaction of their own with lock_timeout,
     * retried: dropping one locks the table it references ACCESS EXCLUSIVE, and a request that
     * waited behind a long reader of that table would queue every later reader and writer of it
     * behind itself. Then the old table, the log and the functions, which only rpcl uses.
     * Returns a warning, or null once all of it is gone.
     */
    private static String dropOldTable(Connection c, ConnectionConfig cfg, RepackTable old) throws SQLException {
        List<String> keys = ChangeLog.parkedForeignKeys(c, old);
        if (!keys.isEmpty()) {
            String problem = execute(c, cfg, ChangeLog.dropForeignKeysStatement(old, keys));
            if (problem != null) {
                return problem + "; the old table stays in " + HelperSchema.DROP_SCHEMA
                        + " until the next repack_tables or abort_repack finishes " + old.display();
            }
        }
        try (Statement st = c.createStatement()) {
            ChangeLog.dropLogAndFunctions(st, old);
        } catch (SQLException e) {
            String w = "dropping the old table " + old.parked() + " failed: " + Database.rootMessage(e)
                    + "; the next repack_tables or abort_repack finishes " + old.display();
            LOG.warn(w);
            return w;
        }
        return null;
    }

    /** Runs one statement with lock_timeout, retried as LockRetry does; returns a warning or null. */
    private static String execute(Connection c, ConnectionConfig cfg, String sql) throws SQLException {
        long start = System.nanoTime();
        try {
            LockRetry retry = new LockRetry(cfg.lockTimeout(), ATTEMPTS);
            if (retry.run(c, 0, () -> { }, st -> st.execute(sql), () -> { })) {
                LOG.info("{} took {} ms", sql, Elapsed.msSince(start));
                return null;
            }
            String w = "'" + sql + "' failed: " + Database.rootMessage(retry.lastFailure()) + ", through " + retry.attempts()
                    + " attempts that waited " + retry.waitedMs() + " ms in all; run it by hand";
            LOG.warn(w);
            return w;
        } catch (TableRepack.Stopped interrupted) {
            return "'" + sql + "' was interrupted; run it by hand";
        } catch (SQLException e) {
            String w = "'" + sql + "' failed: " + Database.rootMessage(e) + "; run it by hand";
            LOG.warn(w);
            return w;
        }
    }
}
