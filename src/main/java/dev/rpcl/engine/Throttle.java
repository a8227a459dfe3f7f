package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds rpcl's own work back while the server is under strain: while a standby's replay lags
 * more than max_replica_lag behind (pg_stat_replication.replay_lag), or while the configured
 * throttle_query says so (true, or a number above 0). Checked at the safe points where a pause
 * is (before the copy, before each index build, before each replay batch, before a REPACK): the
 * statement in flight runs to its end, the next one waits. The application's own writes are
 * never held back; the change log just grows meanwhile.
 */
final class Throttle {
    private static final Logger LOG = LoggerFactory.getLogger(Throttle.class);

    /**
     * The worst replay lag of the standbys, in seconds; null when there is no standby. The lag
     * columns are NULL for a role without pg_monitor (or pg_read_all_stats), which the second
     * column tells.
     */
    private static final String REPLICA_LAG = """
            SELECT max(extract(epoch FROM coalesce(replay_lag, interval '0'))) FILTER (WHERE state IS NOT NULL) AS lag,
                   count(*) FILTER (WHERE state IS NULL) AS hidden
              FROM pg_catalog.pg_stat_replication
            """;

    /** How often a throttled run says so in the log. */
    private static final long REPORT_NS = 60_000_000_000L;

    private final ConnectionConfig cfg;
    private boolean warnedHidden;

    Throttle(ConnectionConfig cfg) {
        this.cfg = cfg;
    }

    boolean configured() {
        return !cfg.maxReplicaLag().isZero() || cfg.throttleQuery() != null;
    }

    /**
     * Checks the settings once before anything is touched: a throttle_query that fails would
     * otherwise fail the first table part way.
     */
    void check(Connection c) {
        if (cfg.throttleQuery() == null) {
            return;
        }
        try {
            reason(c);
        } catch (SQLException e) {
            throw RpclException.badInput("The throttle_query of connection " + cfg.name() + " fails: "
                    + Database.rootMessage(e) + ". It must return one row with a boolean (true: hold back) or a number"
                    + " (above 0: hold back); nothing was repacked.");
        }
    }

    /** Why rpcl's work must wait now, or null. */
    String reason(Connection c) throws SQLException {
        if (!cfg.maxReplicaLag().isZero()) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(REPLICA_LAG)) {
                rs.next();
                if (rs.getLong("hidden") > 0 && !warnedHidden) {
                    warnedHidden = true;
                    LOG.warn("max_replica_lag: role {} cannot read the standbys' replay lag in pg_stat_replication;"
                            + " GRANT pg_monitor TO {} for rpcl to throttle on it", cfg.user(), cfg.user());
                }
                double lag = rs.getDouble("lag");
                if (!rs.wasNull() && lag * 1000 > cfg.maxReplicaLag().toMillis()) {
                    return String.format(java.util.Locale.ROOT, "a standby's replay lags %.1f s behind, over max_replica_lag %s",
                            lag, dev.rpcl.config.Durations.format(cfg.maxReplicaLag()));
                }
            }
        }
        if (cfg.throttleQuery() != null) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(cfg.throttleQuery())) {
                if (rs.next()) {
                    Object v = rs.getObject(1);
                    boolean hold = v instanceof Boolean b ? b : v instanceof Number n && n.doubleValue() > 0;
                    if (hold) {
                        return "throttle_query returned " + v;
                    }
                }
            }
        }
        return null;
    }

    /**
     * Waits while the throttle holds, saying so in the log and in the table's state message (for
     * status); a stop or an interrupt ends the wait. Returns whether it waited.
     */
    boolean await(Connection c, RepackTable t, StopGuard guard) throws SQLException {
        if (!configured()) {
            return false;
        }
        String why = reason(c);
        if (why == null) {
            return false;
        }
        long since = System.nanoTime();
        long nextReport = since + REPORT_NS;
        LOG.warn("{}: throttled: {}; rpcl waits", t.display(), why);
        RepackState.message(c, t, "throttled: " + why);
        while (why != null) {
            guard.pause(1000);
            if (System.nanoTime() >= nextReport) {
                nextReport = System.nanoTime() + REPORT_NS;
                LOG.info("{}: still throttled after {} s: {}", t.display(), Elapsed.secondsSince(since), why);
            }
            why = reason(c);
        }
        RepackState.message(c, t, null);
        LOG.info("{}: throttle lifted after {} s", t.display(), Elapsed.secondsSince(since));
        return true;
    }
}
