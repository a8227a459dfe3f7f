package dev.rpcl.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.rpcl.testing.TestDatabase;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mail a DBA gets when a background prepare_repack or repack_tables ends, delivered by the
 * real rpcl process to a real SMTP server; and a run whose SMTP server is unreachable still
 * succeeds, with the failure in the log.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NotificationIT {
    private static final Duration RUN = Duration.ofSeconds(60);

    @RegisterExtension
    static final GreenMailExtension MAIL = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(NotificationIT.class);
        Twins.create(db, "mailed", 2_000, "CREATE TABLE no_key (v text)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private void configure(int smtpPort) throws Exception {
        Path file = db.writeConfig(home, "default", "main", "tables = ['public.mailed', 'public.no_key']\ncheck_time = \"1\"");
        String toml = Files.readString(file).replace("enable_email = false", """
                enable_email = true

                [notifier.email]
                mailfrom = "rpcl@example.com"
                mailto = ["dba@example.com", "oncall@example.com"]
                smtp_server = "127.0.0.1"
                smtp_port = %d
                smtp_ssl = "none"
                """.formatted(smtpPort));
        Files.writeString(file, toml);
        assertEquals(0, RpclJar.run(home, RUN, "create_schema").exitCode());
    }

    private void runInBackground(String command) throws InterruptedException {
        RpclJar.awaitExit(home, RpclJar.startInBackground(home, RUN, command), 120);
    }

    private static MimeMessage[] withSubjectStarting(MimeMessage[] all, String prefix) throws Exception {
        List<MimeMessage> out = new java.util.ArrayList<>();
        for (MimeMessage m : all) {
            if (m.getSubject().startsWith(prefix)) {
                out.add(m);
            }
        }
        return out.toArray(new MimeMessage[0]);
    }

    private static List<String> recipients(MimeMessage[] messages) throws Exception {
        String[] to = new String[messages.length];
        for (int i = 0; i < messages.length; i++) {
            to[i] = messages[i].getAllRecipients()[0].toString();
        }
        Arrays.sort(to);
        return List.of(to);
    }

    @Test
    void prepareAndRepackEachMailEveryRecipientTheTablesWithStepAndStatus() throws Exception {
        configure(MAIL.getSmtp().getPort());

        runInBackground("prepare_repack");
        assertTrue(MAIL.waitForIncomingEmail(10_000, 2), () -> RpclJar.log(home, "default"));
        MimeMessage[] prepared = MAIL.getReceivedMessages();
        assertEquals(List.of("dba@example.com", "oncall@example.com"), recipients(prepared));
        assertEquals("Prepare repack complete, with tables skipped or failed - configuration default", prepared[0].getSubject());
        String body = GreenMailUtil.getBody(prepared[0]);
        assertTrue(body.matches("(?s).*main\\s+public\\.mailed\\s+replay\\s+prepared.*"), body);
        assertTrue(body.matches("(?s).*main\\s+public\\.no_key\\s+-\\s+skipped\\s+.*"), body);

        runInBackground("repack_tables");
        // reset() would move the dynamic port under the configuration, so the new mails join the first two.
        assertTrue(MAIL.waitForIncomingEmail(10_000, 4), () -> RpclJar.log(home, "default"));
        MimeMessage[] repacked = withSubjectStarting(MAIL.getReceivedMessages(), "Repack tables");
        assertEquals(List.of("dba@example.com", "oncall@example.com"), recipients(repacked));
        assertEquals("Repack tables complete, with tables skipped or failed - configuration default", repacked[0].getSubject());
        body = GreenMailUtil.getBody(repacked[0]);
        assertTrue(body.matches("(?s).*main\\s+public\\.mailed\\s+complete\\s+complete.*"), body);
        assertTrue(body.contains("1 repacked, 1 skipped."), body);
    }

    @Test
    void aRunThatFailsMailsTheFailure() throws Exception {
        configure(MAIL.getSmtp().getPort());
        assertEquals(0, RpclJar.run(home, RUN, "drop_schema").exitCode());
        int before = MAIL.getReceivedMessages().length;

        RpclJar.Result r = RpclJar.run(home, RUN, "prepare_repack", "--debug");

        assertEquals(1, r.exitCode(), r::toString);
        assertTrue(MAIL.waitForIncomingEmail(10_000, before + 2), () -> RpclJar.log(home, "default"));
        MimeMessage[] failed = withSubjectStarting(MAIL.getReceivedMessages(), "Prepare repack failed");
        assertEquals(2, failed.length);
        String body = GreenMailUtil.getBody(failed[0]);
        assertTrue(body.contains("Error: ") && body.contains("rpcl create_schema"), body);
        assertEquals(0, RpclJar.run(home, RUN, "create_schema").exitCode());
    }

    @Test
    void anUnreachableSmtpServerIsLoggedAndTheRepackStillSucceeds() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        configure(closedPort);
        RpclJar.Result r = RpclJar.run(home, RUN, "repack_tables", "--debug");
        assertEquals(3, r.exitCode(), r::toString);
        assertTrue(r.out().contains("public.mailed") && r.out().contains("1 repacked, 1 skipped"), r::toString);
        assertTrue(RpclJar.log(home, "default").contains("Cannot send the notification 'Repack tables complete"),
                () -> RpclJar.log(home, "default"));
    }
}
