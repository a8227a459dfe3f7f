package dev.rpcl.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The connections to one configured database: a small HikariCP pool over pgjdbc, with
 * sslmode honoured and application_name set as repcloud set it.
 */
public final class Database implements AutoCloseable {
    public static final String APPLICATION_NAME = "repcloud";

    private final ConnectionConfig config;
    private final HikariDataSource pool;

    public Database(ConnectionConfig config, int maxConnections) {
        this.config = config;
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("rpcl-" + config.name());
        hc.setJdbcUrl("jdbc:postgresql://" + hostForUrl(config.host()) + ":" + config.port() + "/"
                + java.net.URLEncoder.encode(config.database(), java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        hc.setUsername(config.user());
        String password = config.password() != null ? config.password()
                : PgPass.lookup(System.getenv(), config.host(), config.port(), config.database(), config.user());
        if (password != null) {
            hc.setPassword(password);
        }
        hc.addDataSourceProperty("sslmode", config.sslmode().configValue());
        hc.addDataSourceProperty("ApplicationName", APPLICATION_NAME);
        // Big copies and index builds run for a long time; the pool must not time them out.
        hc.addDataSourceProperty("tcpKeepAlive", "true");
        hc.setMaximumPoolSize(maxConnections);
        hc.setMinimumIdle(0);
        hc.setConnectionTimeout(30_000);
        hc.setMaxLifetime(0);
        hc.setIdleTimeout(60_000);
        // Try one connection at once: a wrong host or password fails in a second with the
        // driver's own reason, not after the pool's 30 s connection timeout.
        hc.setInitializationFailTimeout(1);
        hc.setExceptionOverrideClassName(KeepConnectionOnUnsupported.class.getName());
        hc.setConnectionInitSql(SESSION_SETTINGS);
        try {
            this.pool = new HikariDataSource(hc);
        } catch (com.zaxxer.hikari.pool.HikariPool.PoolInitializationException e) {
            throw connectError(e);
        }
        try (Connection c = connect()) {
            String unsupported = unsupportedServer(c.getMetaData().getDatabaseMajorVersion(),
                    c.getMetaData().getDatabaseProductVersion());
            if (unsupported != null) {
                throw RpclException.failed("Database " + config.database() + " on " + config.host() + ":" + config.port()
                        + " (connection " + config.name() + ") " + unsupported);
            }
        } catch (SQLException e) {
            pool.close();
            throw connectError(e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Run once on every new session. Timeouts a role or database may set would end rpcl's work
     * half way: a copy or an index build is one long statement in one long transaction, and the
     * session that holds a table's advisory lock waits idle between statements. Each is turned off
     * for rpcl's sessions alone, where this server has it (17 added transaction_timeout); rpcl
     * bounds its own waits with lock_timeout. And the server checks every second that rpcl is
     * still there while a statement runs (client_connection_check_interval, 14+): a copy or an
     * index build of an rpcl process killed with kill -9 ends within a second, with its locks,
     * instead of running to its end and keeping the rerun and abort_repack off the table. That
     * check exists on Linux servers only; elsewhere the setting is refused and left alone.
     */
    static final String SESSION_SETTINGS = """
            DO $rpcl$
            BEGIN
              PERFORM pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings
               WHERE name IN ('statement_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout',
                              'transaction_timeout');
              BEGIN
                PERFORM pg_catalog.set_config('client_connection_check_interval', '1s', false);
              EXCEPTION WHEN OTHERS THEN
                NULL;
              END;
            END
            $rpcl$""";

    /**
     * The oldest PostgreSQL rpcl runs on: column compression (pg_attribute.attcompression, LIKE
     * ... INCLUDING COMPRESSION) is 14's.
     */
    public static final int MIN_SERVER_MAJOR = 14;

    /** Why a server of this version cannot be used, or null when it can. */
    static String unsupportedServer(int major, String version) {
        return major >= MIN_SERVER_MAJOR ? null
                : "runs PostgreSQL " + version + "; rpcl needs PostgreSQL " + MIN_SERVER_MAJOR + " or later.";
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    public ConnectionConfig config() {
        return config;
    }

    /** A pooled connection in autocommit mode; the caller closes it. */
    public Connection connect() {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw connectError(e);
        }
    }

    private RpclException connectError(Exception e) {
        String reason = rootMessage(e);
        return RpclException.failed("Cannot connect to database " + config.database() + " on " + config.host()
                + ":" + config.port() + " as " + config.user() + " (connection " + config.name() + "): "
                + reason + (reason.endsWith(".") ? " " : ". ") + connectHint(e), e);
    }

    /** What to do about a failed connection, by its SQLSTATE: the configuration is not always to blame. */
    static String connectHint(Throwable e) {
        String state = SqlStates.of(e);
        if (state == null) {
            return "Check host, port, user, password and sslmode in the configuration.";
        }
        return switch (state) {
            case "57P03" -> "The server is starting up, shutting down or recovering from a crash: run the command again"
                    + " once it accepts connections (rpcl resumes or cleans up what it left).";
            case "28P01", "28000" -> "Check user and password in the configuration (or the password file), and pg_hba.conf.";
            case "3D000" -> "Check database in the configuration.";
            case "53300" -> "The server has no free connection slot: raise max_connections or try later.";
            default -> state.startsWith("08")
                    ? "Check that the server runs and listens there (host, port, sslmode in the configuration)."
                    : "Check host, port, user, password and sslmode in the configuration.";
        };
    }

    /**
     * The message a DBA wants to read: the server's own primary message when there is one
     * (without pgjdbc's "ERROR: " prefix and position lines), else the innermost cause's.
     */
    public static String rootMessage(Throwable t) {
        for (Throwable e = t; e != null; e = e.getCause()) {
            if (e instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null
                    && p.getServerErrorMessage().getMessage() != null) {
                return p.getServerErrorMessage().getMessage().replace('\n', ' ').trim();
            }
        }
        // A pool timeout wraps the driver's own reason (connection refused, ...): that one tells.
        for (Throwable e = t; e != null; e = e.getCause()) {
            if (e instanceof org.postgresql.util.PSQLException p && p.getMessage() != null) {
                return p.getMessage().replace('\n', ' ').trim();
            }
        }
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage() != null ? c.getMessage() : c.toString();
        if (t.getMessage() != null && t instanceof SQLException && !(c instanceof SQLException)) {
            m = t.getMessage();
        }
        return m.replace('\n', ' ').trim();
    }

    /**
     * Runs {@code ps}, a multi-statement request (one round trip), and returns the result set of
     * its last statement, past the update counts of the statements before it.
     */
    public static ResultSet lastResultSet(PreparedStatement ps) throws SQLException {
        ps.execute();
        while (!ps.getMoreResults() && ps.getUpdateCount() != -1) {
            // an update count of a statement before the last
        }
        ResultSet rs = ps.getResultSet();
        if (rs == null) {
            throw new SQLException("the request's last statement returned no rows");
        }
        return rs;
    }

    /** Sets the application_name repcloud used: "repcloud - Table: schema.table [step]". */
    public static void setApplicationName(Connection c, String table, String step) throws SQLException {
        try (var ps = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
            ps.setString(1, APPLICATION_NAME + " - Table: " + table + " [" + step + "]");
            ps.execute();
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
