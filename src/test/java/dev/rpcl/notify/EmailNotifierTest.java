package dev.rpcl.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.rpcl.config.RpclConfig.EmailConfig;
import dev.rpcl.config.RpclConfig.NotifierConfig;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmailNotifierTest {
    private static final ServerSetup SMTP = ServerSetupTest.SMTP.dynamicPort();
    private static final ServerSetup SMTPS = ServerSetupTest.SMTPS.dynamicPort();

    @RegisterExtension
    static final GreenMailExtension MAIL = new GreenMailExtension(new ServerSetup[] {SMTP, SMTPS})
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("rpcl-sender", "s3cret"));

    private static final Report REPORT = new Report("repack_tables", "nightly", Report.Outcome.COMPLETE_WITH_PROBLEMS,
            "2 tables repacked, 1 failed.", List.of(
                    new Report.TableLine("main", "public.orders", "complete", "complete", null),
                    new Report.TableLine("main", "public.order_lines", "complete", "complete", null),
                    new Report.TableLine("main", "sales.events", "copy", "failed", "disk full")));

    private static EmailConfig config(int port, String ssl, String user, String password) {
        return new EmailConfig("rpcl@example.com", List.of("dba@example.com", "oncall@example.com"), "127.0.0.1",
                port, ssl, user, password);
    }

    @Test
    void everyRecipientGetsOneMailWithSubjectAndTableList() throws Exception {
        int sent = new EmailNotifier(config(MAIL.getSmtp().getPort(), "none", null, null)).send(REPORT);

        assertEquals(2, sent);
        MimeMessage[] received = MAIL.getReceivedMessages();
        assertEquals(2, received.length);
        List<String> to = new ArrayList<>();
        for (MimeMessage m : received) {
            assertEquals("Repack tables complete, with tables skipped or failed - configuration nightly", m.getSubject());
            assertEquals("rpcl@example.com", m.getFrom()[0].toString());
            assertEquals(1, m.getAllRecipients().length, "one mail per recipient, as repcloud sent them");
            to.add(m.getAllRecipients()[0].toString());
            String body = GreenMailUtil.getBody(m);
            assertTrue(body.contains("2 tables repacked, 1 failed."), body);
            assertTrue(body.matches("(?s).*main\\s+public\\.orders\\s+complete\\s+complete.*"), body);
            assertTrue(body.matches("(?s).*main\\s+sales\\.events\\s+copy\\s+failed\\s+disk full.*"), body);
        }
        to.sort(null);
        assertEquals(List.of("dba@example.com", "oncall@example.com"), to);
    }

    @Test
    void smtpLoginIsUsedWhenAUsernameIsConfigured() {
        assertEquals(2, new EmailNotifier(config(MAIL.getSmtp().getPort(), "none", "rpcl-sender", "s3cret")).send(REPORT));
        assertEquals(0, new EmailNotifier(config(MAIL.getSmtp().getPort(), "none", "rpcl-sender", "wrong")).send(REPORT),
                "a refused login sends nothing and is only logged");
        assertEquals(2, MAIL.getReceivedMessages().length);
    }

    @Test
    void sslOnConnectDeliversOverTls() {
        Properties trustTestCertificate = new Properties();
        trustTestCertificate.put("mail.smtps.ssl.trust", "*");
        trustTestCertificate.put("mail.smtps.ssl.checkserveridentity", "false");
        EmailNotifier notifier = new EmailNotifier(config(MAIL.getSmtps().getPort(), "ssl", "rpcl-sender", "s3cret"),
                Duration.ofSeconds(5), Duration.ofSeconds(5), trustTestCertificate);
        assertEquals(2, notifier.send(REPORT));
        assertEquals(2, MAIL.getReceivedMessages().length);
    }

    @Test
    void plainSmtpToAnSslPortFailsInsteadOfHanging() {
        EmailNotifier notifier = new EmailNotifier(config(MAIL.getSmtps().getPort(), "none", null, null),
                Duration.ofSeconds(2), Duration.ofSeconds(2), new Properties());
        assertEquals(0, notifier.send(REPORT));
    }

    @Test
    void starttlsToAServerWithoutItSendsNothingRatherThanLogInInClear() {
        // GreenMail's plain SMTP does not offer STARTTLS.
        EmailNotifier notifier = new EmailNotifier(config(MAIL.getSmtp().getPort(), "starttls", "rpcl-sender", "s3cret"),
                Duration.ofSeconds(5), Duration.ofSeconds(5), new Properties());
        assertEquals(0, notifier.send(REPORT));
        assertEquals(0, MAIL.getReceivedMessages().length);
    }

    @Test
    void starttlsIsRequiredNotOpportunistic() {
        Properties p = new EmailNotifier(config(587, "starttls", "u", "p")).properties();
        assertEquals("true", p.get("mail.smtp.starttls.enable"));
        assertEquals("true", p.get("mail.smtp.starttls.required"));
        assertEquals("true", p.get("mail.smtp.auth"));
        assertEquals("10000", p.get("mail.smtp.connectiontimeout"));
        assertEquals("30000", p.get("mail.smtp.timeout"));
    }

    @Test
    void refusedConnectionIsOnlyLogged() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        assertEquals(0, new EmailNotifier(config(closedPort, "none", null, null)).send(REPORT));
    }

    @Test
    void serverThatNeverAnswersTimesOutInsteadOfHangingTheRun() throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try (Socket ignored = silent.accept()) {
                    Thread.sleep(30_000);
                } catch (Exception e) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            long start = System.nanoTime();
            int sent = new EmailNotifier(config(silent.getLocalPort(), "none", null, null), Duration.ofSeconds(1),
                    Duration.ofSeconds(1), new Properties()).send(REPORT);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(0, sent);
            assertTrue(ms < 10_000, "gave up after " + ms + " ms");
        }
    }

    @Test
    void notifierExistsOnlyWhenEmailIsEnabled() {
        EmailConfig email = config(25, "none", null, null);
        assertTrue(EmailNotifier.from(new NotifierConfig(true, email)).isPresent());
        assertTrue(EmailNotifier.from(new NotifierConfig(false, email)).isEmpty());
        assertTrue(Arrays.asList(REPORT.body().split("\n")).get(0).startsWith("rpcl repack_tables for configuration nightly"));
    }
}
