package dev.rpcl.config;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig.DeadlockResolution;
import dev.rpcl.config.ConnectionConfig.SslMode;
import dev.rpcl.config.RpclConfig.EmailConfig;
import dev.rpcl.config.RpclConfig.LoggingConfig;
import dev.rpcl.config.RpclConfig.NotifierConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Reads {@code config/NAME.toml} with repcloud's keys and meanings. repcloud wrote most values
 * as strings ("5432", "3s", "yes"); native TOML values are accepted as well, so both old and new
 * files load. Every bad value is reported with its key, the value and what is allowed.
 */
public final class ConfigLoader {

    private static final Set<String> TOP_KEYS = Set.of("pid_dir", "logging", "notifier", "connections");
    private static final Set<String> LOGGING_KEYS = Set.of("log_dir", "log_level", "log_dest", "log_days_keep");
    private static final Set<String> NOTIFIER_KEYS = Set.of("enable_email", "email");
    private static final Set<String> EMAIL_KEYS = Set.of("mailfrom", "mailto", "smtp_server", "smtp_port",
            "smtp_ssl", "smtp_username", "smtp_password");
    private static final Set<String> CONNECTION_KEYS = Set.of("user", "password", "host", "port", "database",
            "sslmode", "schemas", "tables", "max_replay_rows", "lock_timeout", "check_time", "analyze_tables",
            "deadlock_resolution", "exclude_schemas", "exclude_tables", "min_gain", "min_gain_ratio", "engine", "max_replica_lag", "throttle_query",
            "on_swap_timeout", "copy_chunk");
    private static final List<String> LOG_LEVELS = List.of("debug", "info", "warning", "error");

    private final RpclHome home;

    public ConfigLoader(RpclHome home) {
        this.home = home;
    }

    public RpclConfig load(String configName) {
        Path file = home.configFile(configName);
        if (!Files.isRegularFile(file)) {
            throw RpclException.badInput("Configuration file " + file + " not found. Create it from the example: cp "
                    + home.configDir().resolve("config-example.toml") + " " + file
                    + ", then set user, password, host, port and database in it.");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw RpclException.badInput("Cannot read configuration file " + file + ": " + e.getMessage());
        }
        return parse(RpclHome.configBaseName(configName), file, text);
    }

    RpclConfig parse(String name, Path file, String text) {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError error = toml.errors().get(0);
            throw RpclException.badInput("Syntax error in " + file + " at line " + error.position().line()
                    + ", column " + error.position().column() + ": " + error.getMessage());
        }
        TomlValues r = new TomlValues(file, home);
        r.warnUnknown(toml, "", TOP_KEYS);

        Path pidDir = r.path(toml, "pid_dir", home.pidDir());

        TomlTable logging = r.table(toml, "logging");
        r.warnUnknown(logging, "logging.", LOGGING_KEYS);
        String logLevel = r.choice(logging, "logging.log_level", "info", LOG_LEVELS);
        LoggingConfig loggingConfig = new LoggingConfig(
                r.path(logging, "logging.log_dir", home.logDir()),
                logLevel,
                r.choice(logging, "logging.log_dest", "file", List.of("file", "console")),
                r.integer(logging, "logging.log_days_keep", 4, 0, 36500));

        TomlTable notifier = r.table(toml, "notifier");
        r.warnUnknown(notifier, "notifier.", NOTIFIER_KEYS);
        boolean enableEmail = r.bool(notifier, "notifier.enable_email", false);
        TomlTable email = r.table(notifier, "email");
        EmailConfig emailConfig = null;
        if (email != null) {
            r.warnUnknown(email, "notifier.email.", EMAIL_KEYS);
            emailConfig = new EmailConfig(
                    r.string(email, "notifier.email.mailfrom", null),
                    r.stringList(email, "notifier.email.mailto"),
                    r.string(email, "notifier.email.smtp_server", null),
                    r.integer(email, "notifier.email.smtp_port", 25, 1, 65535),
                    r.choice(email, "notifier.email.smtp_ssl", "none", List.of("none", "starttls", "ssl")),
                    r.string(email, "notifier.email.smtp_username", null),
                    r.string(email, "notifier.email.smtp_password", null));
        }
        if (enableEmail) {
            if (emailConfig == null) {
                throw RpclException.badInput("notifier.enable_email is true in " + file
                        + " but there is no [notifier.email] section; add one or set enable_email = false.");
            }
            r.require(emailConfig.mailFrom(), "notifier.email.mailfrom");
            r.require(emailConfig.smtpServer(), "notifier.email.smtp_server");
            if (emailConfig.mailTo().isEmpty()) {
                throw RpclException.badInput("notifier.email.mailto in " + file
                        + " is empty; list at least one recipient, e.g. mailto = [\"dba@example.com\"].");
            }
        }

        Map<String, ConnectionConfig> connections = new LinkedHashMap<>();
        TomlTable connectionsTable = r.table(toml, "connections");
        if (connectionsTable != null) {
            for (String connName : connectionsTable.keySet()) {
                Object value = connectionsTable.get(List.of(connName));
                if (!(value instanceof TomlTable section)) {
                    throw RpclException.badInput("connections." + connName + " in " + file
                            + " must be a section [connections." + connName + "], not a single value.");
                }
                connections.put(connName, connection(r, connName, section));
            }
        }
        return new RpclConfig(name, file, pidDir, loggingConfig, new NotifierConfig(enableEmail, emailConfig),
                connections, r.warnings);
    }

    private static ConnectionConfig connection(TomlValues r, String name, TomlTable t) {
        String p = "connections." + name + ".";
        r.warnUnknown(t, p, CONNECTION_KEYS);
        String user = r.string(t, p + "user", null);
        r.require(user, p + "user");
        String database = r.string(t, p + "database", null);
        r.require(database, p + "database");
        List<String> tables = r.stringList(t, p + "tables");
        for (String table : tables) {
            if (table.indexOf('.') <= 0 || table.endsWith(".")) {
                throw RpclException.badInput("Bad value '" + table + "' in " + p + "tables of " + r.file
                        + ": tables are written schema.table, e.g. 'public.orders'.");
            }
        }
        return new ConnectionConfig(
                name,
                user,
                emptyIsUnset(r.string(t, p + "password", null)),
                r.string(t, p + "host", "localhost"),
                r.integer(t, p + "port", 5432, 1, 65535),
                database,
                SslMode.valueOf(r.choice(t, p + "sslmode", "prefer",
                        List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"))
                        .toUpperCase(Locale.ROOT).replace('-', '_')),
                r.stringList(t, p + "schemas"),
                tables,
                r.integer(t, p + "max_replay_rows", 100_000, 1, Integer.MAX_VALUE),
                r.lockTimeout(t, p + "lock_timeout"),
                r.duration(t, p + "check_time", "10", Durations.Unit.SECONDS),
                r.bool(t, p + "analyze_tables", true),
                DeadlockResolution.valueOf(r.choice(t, p + "deadlock_resolution", "nothing",
                        List.of("nothing", "cancel_query", "kill_query")).toUpperCase(Locale.ROOT)),
                r.stringList(t, p + "exclude_schemas"),
                r.stringList(t, p + "exclude_tables"),
                r.size(t, p + "min_gain", ConnectionConfig.DEFAULT_MIN_GAIN),
                r.fraction(t, p + "min_gain_ratio", ConnectionConfig.DEFAULT_MIN_GAIN_RATIO),
                ConnectionConfig.Engine.of(r.choice(t, p + "engine", "auto", ConnectionConfig.Engine.VALUES)),
                r.duration(t, p + "max_replica_lag", "0", Durations.Unit.SECONDS),
                emptyIsUnset(r.string(t, p + "throttle_query", null)),
                ConnectionConfig.SwapTimeout.valueOf(r.choice(t, p + "on_swap_timeout", "clean_up",
                        List.of("clean_up", "keep_prepared")).toUpperCase(Locale.ROOT)),
                r.size(t, p + "copy_chunk", "0"));
    }

    /**
     * An empty password means none, as libpq (and so repcloud, through psycopg2) reads it: the
     * password file and PGPASSWORD are consulted, where sending an empty password would fail.
     */
    private static String emptyIsUnset(String password) {
        return password == null || password.isEmpty() ? null : password;
    }
}
