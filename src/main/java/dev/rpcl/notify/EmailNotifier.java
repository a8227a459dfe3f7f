package dev.rpcl.notify;

import dev.rpcl.config.RpclConfig.EmailConfig;
import dev.rpcl.config.RpclConfig.NotifierConfig;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mails a {@link Report} to every address of {@code mailto}, one message each as repcloud did,
 * over one SMTP connection. smtp_ssl: none, starttls (required, not opportunistic), or ssl (TLS
 * from the first byte). Connect, read and write timeouts keep an unreachable server from hanging
 * the run, and a mail that cannot be sent is logged, never turned into a failure of the repack.
 */
public final class EmailNotifier {
    private static final Logger LOG = LoggerFactory.getLogger(EmailNotifier.class);

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration IO_TIMEOUT = Duration.ofSeconds(30);

    private final EmailConfig config;
    private final Duration connectTimeout;
    private final Duration ioTimeout;
    private final Properties overrides;

    public EmailNotifier(EmailConfig config) {
        this(config, CONNECT_TIMEOUT, IO_TIMEOUT, new Properties());
    }

    /** For tests: shorter timeouts, and e.g. trust in a test server's self-signed certificate. */
    EmailNotifier(EmailConfig config, Duration connectTimeout, Duration ioTimeout, Properties overrides) {
        this.config = config;
        this.connectTimeout = connectTimeout;
        this.ioTimeout = ioTimeout;
        this.overrides = overrides;
    }

    /** The notifier when [notifier] enable_email is true, else none. */
    public static Optional<EmailNotifier> from(NotifierConfig notifier) {
        return notifier.enableEmail() && notifier.email() != null
                ? Optional.of(new EmailNotifier(notifier.email())) : Optional.empty();
    }

    /** Sends the report; returns how many recipients it reached. Never throws. */
    public int send(Report report) {
        int sent = 0;
        Session session = Session.getInstance(properties(), authenticator());
        try (Transport transport = session.getTransport()) {
            transport.connect();
            for (String to : config.mailTo()) {
                try {
                    MimeMessage m = message(session, report, to);
                    transport.sendMessage(m, m.getAllRecipients());
                    sent++;
                    LOG.info("Sent notification '{}' to {}", report.subject(), to);
                } catch (MessagingException e) {
                    LOG.error("Cannot send the notification to {}: {}", to, describe(e));
                }
            }
        } catch (MessagingException | RuntimeException e) {
            LOG.error("Cannot send the notification '{}' through {}:{} ({}): {}. The run itself is not affected;"
                    + " check [notifier.email] in the configuration.", report.subject(), config.smtpServer(),
                    config.smtpPort(), config.smtpSsl(), describe(e));
        }
        return sent;
    }

    private MimeMessage message(Session session, Report report, String to) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(config.mailFrom()));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(report.subject(), StandardCharsets.UTF_8.name());
        m.setSentDate(new Date());
        m.setText(report.body(), StandardCharsets.UTF_8.name());
        return m;
    }

    Properties properties() {
        boolean ssl = "ssl".equals(config.smtpSsl());
        String p = ssl ? "mail.smtps." : "mail.smtp.";
        Properties props = new Properties();
        props.put("mail.transport.protocol", ssl ? "smtps" : "smtp");
        props.put(p + "host", config.smtpServer());
        props.put(p + "port", Integer.toString(config.smtpPort()));
        props.put(p + "connectiontimeout", Long.toString(connectTimeout.toMillis()));
        props.put(p + "timeout", Long.toString(ioTimeout.toMillis()));
        props.put(p + "writetimeout", Long.toString(ioTimeout.toMillis()));
        props.put(p + "auth", Boolean.toString(config.smtpUsername() != null));
        if ("starttls".equals(config.smtpSsl())) {
            // Required, so a server that does not offer STARTTLS fails instead of sending the password in clear.
            props.put(p + "starttls.enable", "true");
            props.put(p + "starttls.required", "true");
        }
        if (ssl) {
            props.put(p + "ssl.enable", "true");
        }
        if (ssl || "starttls".equals(config.smtpSsl())) {
            props.put(p + "ssl.checkserveridentity", "true");
        }
        props.putAll(overrides);
        return props;
    }

    private Authenticator authenticator() {
        if (config.smtpUsername() == null) {
            return null;
        }
        return new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(config.smtpUsername(),
                        config.smtpPassword() == null ? "" : config.smtpPassword());
            }
        };
    }

    private static String describe(Exception e) {
        Throwable c = e;
        StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
            b.append(": ").append(c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName());
        }
        return b.toString().replace('\n', ' ');
    }
}
