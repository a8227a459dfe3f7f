package dev.rpcl.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A loaded and validated {@code config/NAME.toml}. Connections keep the file's order. */
public record RpclConfig(
        String name,
        Path file,
        Path pidDir,
        LoggingConfig logging,
        NotifierConfig notifier,
        Map<String, ConnectionConfig> connections,
        List<String> warnings) {

    public RpclConfig {
        connections = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(connections));
        warnings = List.copyOf(warnings);
    }

    /**
     * The connections a command works on: all of them for {@code null} or "all" (repcloud's
     * default), else the one named, or a bad-input error listing the known names.
     */
    public List<ConnectionConfig> select(String connectionName) {
        if (connectionName == null || connectionName.equals("all")) {
            return List.copyOf(connections.values());
        }
        ConnectionConfig found = connections.get(connectionName);
        if (found == null) {
            throw dev.rpcl.RpclException.badInput("Unknown connection '" + connectionName + "' in " + file
                    + "; known connections: " + (connections.isEmpty() ? "(none)" : String.join(", ", connections.keySet())));
        }
        return List.of(found);
    }

    /** {@code [logging]}. */
    public record LoggingConfig(Path logDir, String logLevel, String logDest, int logDaysKeep) {
        public boolean toConsole() {
            return "console".equals(logDest);
        }
    }

    /** {@code [notifier]} and {@code [notifier.email]}; {@code email} is null when the section is absent. */
    public record NotifierConfig(boolean enableEmail, EmailConfig email) {
    }

    /** {@code [notifier.email]}. {@code smtpSsl} is none, starttls or ssl (SSL on connect). */
    public record EmailConfig(
            String mailFrom,
            List<String> mailTo,
            String smtpServer,
            int smtpPort,
            String smtpSsl,
            String smtpUsername,
            String smtpPassword) {
        public EmailConfig {
            mailTo = List.copyOf(mailTo);
        }

        /** Without the SMTP password, so that logging the notifier never writes it anywhere. */
        @Override
        public String toString() {
            return "EmailConfig[mailFrom=" + mailFrom + ", mailTo=" + mailTo + ", smtpServer=" + smtpServer + ", smtpPort="
                    + smtpPort + ", smtpSsl=" + smtpSsl + ", smtpUsername=" + smtpUsername + "]";
        }
    }
}
