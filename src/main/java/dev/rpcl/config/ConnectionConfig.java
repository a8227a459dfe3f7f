package dev.rpcl.config;

import java.time.Duration;
import java.util.List;

/**
 * One {@code [connections.NAME]} section, validated. {@code password} may be null: the
 * PostgreSQL password file and PGPASSWORD are then used, as libpq would.
 */
public record ConnectionConfig(
        String name,
        String user,
        String password,
        String host,
        int port,
        String database,
        SslMode sslmode,
        List<String> schemas,
        List<String> tables,
        int maxReplayRows,
        Duration lockTimeout,
        Duration checkTime,
        boolean analyzeTables,
        DeadlockResolution deadlockResolution,
        List<String> excludeSchemas,
        List<String> excludeTables,
        long minGainBytes,
        double minGainRatio,
        Engine engine,
        Duration maxReplicaLag,
        String throttleQuery,
        SwapTimeout onSwapTimeout,
        long copyChunkBytes) {

    /** The defaults of min_gain and min_gain_ratio: a table is repacked when it would shrink by 1 MB and 20% at least. */
    public static final String DEFAULT_MIN_GAIN = "1MB";
    public static final double DEFAULT_MIN_GAIN_RATIO = 0.2;

    public ConnectionConfig {
        schemas = List.copyOf(schemas);
        tables = List.copyOf(tables);
        excludeSchemas = List.copyOf(excludeSchemas);
        excludeTables = List.copyOf(excludeTables);
    }

    /** Without the password, so that logging a connection never writes it anywhere. */
    @Override
    public String toString() {
        return "ConnectionConfig[name=" + name + ", " + describe() + "]";
    }

    /** For show_connections: every parameter a user may see; the password never appears. */
    public java.util.Map<String, String> describe() {
        var m = new java.util.LinkedHashMap<String, String>();
        m.put("host", host);
        m.put("port", Integer.toString(port));
        m.put("database", database);
        m.put("user", user);
        m.put("password", password == null ? "(from PGPASSWORD or the password file)" : "********");
        m.put("sslmode", sslmode.configValue());
        // The lists add up; one empty list means "all" only when the other is empty too.
        String none = schemas.isEmpty() && tables.isEmpty() ? "(all)" : "(none)";
        m.put("schemas", schemas.isEmpty() ? none : String.join(", ", schemas));
        m.put("tables", tables.isEmpty() ? none : String.join(", ", tables));
        m.put("max_replay_rows", Integer.toString(maxReplayRows));
        m.put("lock_timeout", Durations.format(lockTimeout));
        m.put("check_time", Durations.format(checkTime));
        m.put("analyze_tables", analyzeTables ? "yes" : "no");
        m.put("deadlock_resolution", deadlockResolution.configValue());
        m.put("exclude_schemas", excludeSchemas.isEmpty() ? "(none)" : String.join(", ", excludeSchemas));
        m.put("exclude_tables", excludeTables.isEmpty() ? "(none)" : String.join(", ", excludeTables));
        m.put("min_gain", dev.rpcl.engine.Sizes.human(minGainBytes));
        m.put("min_gain_ratio", Math.round(minGainRatio * 1000) / 10.0 + "%");
        m.put("engine", engine.configValue());
        m.put("max_replica_lag", maxReplicaLag.isZero() ? "0 (off)" : Durations.format(maxReplicaLag));
        m.put("throttle_query", throttleQuery == null ? "(none)" : throttleQuery);
        m.put("on_swap_timeout", onSwapTimeout.configValue());
        m.put("copy_chunk", copyChunkBytes == 0 ? "0 (one statement)" : dev.rpcl.engine.Sizes.human(copyChunkBytes));
        return m;
    }

    /** What to do with the sessions that block the swap's ACCESS EXCLUSIVE lock. */
    public enum DeadlockResolution {
        NOTHING("nothing"), CANCEL_QUERY("cancel_query"), KILL_QUERY("kill_query");

        private final String configValue;

        DeadlockResolution(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }
    }

    /**
     * What rewrites a table: rpcl's own engine (triggers, copy, replay, swap by rename), the
     * server's REPACK (CONCURRENTLY) of PostgreSQL 19 and later, or AUTO, which takes REPACK
     * where it can do the whole job and rpcl's engine elsewhere ({@code EngineChoice}).
     */
    public enum Engine {
        AUTO("auto"), RPCL("rpcl"), REPACK("repack");

        private final String configValue;

        Engine(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }

        public static final List<String> VALUES = java.util.Arrays.stream(values()).map(Engine::configValue).toList();

        /** The value as written in a configuration file (checked against {@link #VALUES} first). */
        public static Engine of(String configValue) {
            return valueOf(configValue.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /**
     * What a table whose swap gave up (its lock budget spent, or a replay that cannot catch up)
     * becomes: cleaned up, as before, or left prepared, with replay_data started to keep its
     * change log short until the next repack_tables swaps it.
     */
    public enum SwapTimeout {
        CLEAN_UP("clean_up"), KEEP_PREPARED("keep_prepared");

        private final String configValue;

        SwapTimeout(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }
    }

    /** libpq's sslmode values, mapped onto pgjdbc's. */
    public enum SslMode {
        DISABLE("disable"), ALLOW("allow"), PREFER("prefer"), REQUIRE("require"),
        VERIFY_CA("verify-ca"), VERIFY_FULL("verify-full");

        private final String configValue;

        SslMode(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }
    }
}
