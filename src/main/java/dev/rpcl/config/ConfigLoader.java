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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
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
            "deadlock_resolution");
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
        Reader r = new Reader(file, home);
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

    private static ConnectionConfig connection(Reader r, String name, TomlTable t) {
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
                r.string(t, p + "password", null),
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
                        List.of("nothing", "cancel_query", "kill_query")).toUpperCase(Locale.ROOT)));
    }

    /** Typed access to TOML values, with one error message style; keys are full dotted names. */
    private static final class Reader {
        final Path file;
        final RpclHome home;
        final List<String> warnings = new ArrayList<>();

        Reader(Path file, RpclHome home) {
            this.file = file;
            this.home = home;
        }

        private static String leaf(String key) {
            return key.substring(key.lastIndexOf('.') + 1);
        }

        private static Object raw(TomlTable t, String key) {
            return t == null ? null : t.get(List.of(leaf(key)));
        }

        RpclException bad(String key, Object value, String allowed) {
            return RpclException.badInput("Bad value " + show(value) + " for " + key + " in " + file
                    + ": " + allowed + ".");
        }

        private static String show(Object value) {
            return value instanceof String ? "'" + value + "'" : String.valueOf(value);
        }

        void warnUnknown(TomlTable t, String prefix, Set<String> known) {
            if (t == null) {
                return;
            }
            for (String key : t.keySet()) {
                if (!known.contains(key)) {
                    warnings.add("Unknown key " + prefix + key + " in " + file + " is ignored.");
                }
            }
        }

        void require(String value, String key) {
            if (value == null || value.isBlank()) {
                throw RpclException.badInput("Missing " + key + " in " + file + "; it is required.");
            }
        }

        TomlTable table(TomlTable t, String key) {
            Object v = raw(t, key);
            if (v == null) {
                return null;
            }
            if (!(v instanceof TomlTable table)) {
                throw bad(key, v, "expected a section [" + key + "]");
            }
            return table;
        }

        String string(TomlTable t, String key, String fallback) {
            Object v = raw(t, key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof String || v instanceof Long) {
                return v.toString();
            }
            throw bad(key, v, "expected a string");
        }

        Path path(TomlTable t, String key, Path fallback) {
            String v = string(t, key, null);
            return v == null ? fallback : Path.of(home.expand(v)).toAbsolutePath().normalize();
        }

        String choice(TomlTable t, String key, String fallback, List<String> allowed) {
            String v = string(t, key, fallback);
            String normalised = v.trim().toLowerCase(Locale.ROOT);
            if (!allowed.contains(normalised)) {
                throw bad(key, v, "allowed values are " + String.join(", ", allowed));
            }
            return normalised;
        }

        int integer(TomlTable t, String key, int fallback, int min, int max) {
            Object v = raw(t, key);
            if (v == null) {
                return fallback;
            }
            long value;
            if (v instanceof Long l) {
                value = l;
            } else if (v instanceof String s && s.trim().matches("-?\\d{1,18}")) {
                value = Long.parseLong(s.trim());
            } else {
                throw bad(key, v, "expected a whole number from " + min + " to " + max);
            }
            if (value < min || value > max) {
                throw bad(key, v, "expected a whole number from " + min + " to " + max);
            }
            return (int) value;
        }

        boolean bool(TomlTable t, String key, boolean fallback) {
            Object v = raw(t, key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof String s) {
                switch (s.trim().toLowerCase(Locale.ROOT)) {
                    case "yes", "y", "true", "on", "1":
                        return true;
                    case "no", "n", "false", "off", "0":
                        return false;
                    default:
                        break;
                }
            }
            throw bad(key, v, "expected true or false (\"yes\" and \"no\" are accepted too)");
        }

        java.time.Duration duration(TomlTable t, String key, String fallback, Durations.Unit bareUnit) {
            Object v = raw(t, key);
            String text = v == null ? fallback : (v instanceof String || v instanceof Long) ? v.toString() : null;
            java.time.Duration d = text == null ? null : Durations.parse(text, bareUnit);
            if (d == null || d.isNegative()) {
                throw bad(key, v, "expected a duration such as \"3s\", \"500ms\" or \"1min\" (a bare number is "
                        + (bareUnit == Durations.Unit.SECONDS ? "seconds" : "milliseconds") + ")");
            }
            return d;
        }

        /** lock_timeout 0 means "wait forever" to PostgreSQL, the one thing the swap must never do. */
        java.time.Duration lockTimeout(TomlTable t, String key) {
            java.time.Duration d = duration(t, key, "3s", Durations.Unit.MILLISECONDS);
            if (d.isZero()) {
                throw bad(key, raw(t, key), "it must be more than 0, since 0 would let the swap wait for its lock forever;"
                        + " e.g. \"3s\"");
            }
            return d;
        }

        List<String> stringList(TomlTable t, String key) {
            Object v = raw(t, key);
            if (v == null) {
                return List.of();
            }
            if (v instanceof String s) {
                return s.isBlank() ? List.of() : List.of(s);
            }
            if (!(v instanceof TomlArray array)) {
                throw bad(key, v, "expected a list of strings, e.g. ['a', 'b']");
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                if (!(array.get(i) instanceof String s)) {
                    throw bad(key, array.get(i), "expected a list of strings, e.g. ['a', 'b']");
                }
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            return out;
        }
    }
}
