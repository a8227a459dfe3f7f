package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig.DeadlockResolution;
import dev.rpcl.config.ConnectionConfig.SslMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path userHome;
    private RpclHome home;

    @BeforeEach
    void home() {
        userHome = dir.resolve("user");
        home = new RpclHome(dir.resolve("rc"), userHome);
    }

    private RpclConfig load(String toml) throws IOException {
        Files.createDirectories(home.configDir());
        Files.writeString(home.configFile("default"), toml);
        return new ConfigLoader(home).load("default");
    }

    @Test
    void repcloudStyleStringValuesLoadUnchanged() throws IOException {
        String example;
        try (InputStream in = getClass().getResourceAsStream("/compat/repcloud-style.toml")) {
            example = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        RpclConfig config = load(example);
        assertEquals(List.of(), config.warnings());
        assertEquals(userHome.resolve(".repcloud/pid"), config.pidDir());
        assertEquals(userHome.resolve(".repcloud/logs"), config.logging().logDir());
        assertEquals("debug", config.logging().logLevel());
        assertEquals("file", config.logging().logDest());
        assertEquals(4, config.logging().logDaysKeep());
        assertFalse(config.notifier().enableEmail());
        RpclConfig.EmailConfig email = config.notifier().email();
        assertEquals("rpcl@db.example", email.mailFrom());
        assertEquals(List.of("oncall@db.example"), email.mailTo());
        assertEquals(587, email.smtpPort());
        assertEquals("starttls", email.smtpSsl());
        assertEquals("smtp-secret", email.smtpPassword());
        ConnectionConfig c = config.select("repack").get(0);
        assertEquals("app_owner", c.user());
        assertEquals("app-secret", c.password());
        assertEquals("db1.example", c.host());
        assertEquals(5432, c.port());
        assertEquals("appdb", c.database());
        assertEquals(SslMode.PREFER, c.sslmode());
        assertEquals(List.of("sales"), c.schemas());
        assertEquals(List.of("billing.invoices"), c.tables());
        assertEquals(100_000, c.maxReplayRows());
        assertEquals(Duration.ofSeconds(3), c.lockTimeout());
        assertEquals(Duration.ofSeconds(10), c.checkTime());
        assertTrue(c.analyzeTables());
        assertEquals(DeadlockResolution.NOTHING, c.deadlockResolution());
        assertEquals(1L << 20, c.minGainBytes());
        assertEquals(0.2, c.minGainRatio());
        assertEquals(List.of(), c.excludeTables());
    }

    @Test
    void thresholdsTakeSizesAndFractionsOrPercentages() throws IOException {
        ConnectionConfig c = load("""
                [connections.a]
                user = "u"
                database = "d"
                min_gain = "64MB"
                min_gain_ratio = "35%"
                exclude_tables = ['public.*_old']
                """).select("a").get(0);
        assertEquals(64L << 20, c.minGainBytes());
        assertEquals(0.35, c.minGainRatio(), 1e-9);
        assertEquals(List.of("public.*_old"), c.excludeTables());
        c = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nmin_gain = 0\nmin_gain_ratio = 0.5\n").select("a").get(0);
        assertEquals(0, c.minGainBytes());
        assertEquals(0.5, c.minGainRatio());
        RpclException e = assertThrows(RpclException.class,
                () -> load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nmin_gain = \"lots\"\n"));
        assertTrue(e.getMessage().contains("Bad value 'lots' for connections.a.min_gain") && e.getMessage().contains("\"64MB\""),
                e.getMessage());
        e = assertThrows(RpclException.class,
                () -> load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nmin_gain_ratio = \"120%\"\n"));
        assertTrue(e.getMessage().contains("connections.a.min_gain_ratio") && e.getMessage().contains("from 0 to 1"), e.getMessage());
    }

    @Test
    void packagedExampleLoadsWithoutWarnings() throws IOException {
        String example;
        try (InputStream in = getClass().getResourceAsStream("/config/config-example.toml")) {
            example = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        RpclConfig config = load(example);
        assertEquals(List.of(), config.warnings());
        assertEquals("info", config.logging().logLevel());
        assertEquals(1, config.connections().size());
        // A copy of the example under REPCLOUD_HOME keeps its pid files and logs there.
        assertEquals(home.pidDir(), config.pidDir());
        assertEquals(home.logDir(), config.logging().logDir());
    }

    @Test
    void nativeTomlValuesMeanTheSameAsRepcloudsStrings() throws IOException {
        RpclConfig strings = load("""
                [logging]
                log_days_keep = "7"
                [connections.a]
                user = "u"
                database = "d"
                port = "6432"
                max_replay_rows = "500"
                lock_timeout = "250ms"
                check_time = "30"
                analyze_tables = "no"
                """);
        RpclConfig natives = load("""
                [logging]
                log_days_keep = 7
                [connections.a]
                user = "u"
                database = "d"
                port = 6432
                max_replay_rows = 500
                lock_timeout = 250
                check_time = 30
                analyze_tables = false
                """);
        assertEquals(strings.connections(), natives.connections());
        assertEquals(strings.logging(), natives.logging());
        ConnectionConfig c = natives.select("a").get(0);
        assertEquals(6432, c.port());
        assertEquals(Duration.ofMillis(250), c.lockTimeout());
        assertEquals(Duration.ofSeconds(30), c.checkTime());
        assertFalse(c.analyzeTables());
    }

    @Test
    void booleansAcceptRepcloudsSpellings() throws IOException {
        for (String yes : List.of("\"yes\"", "\"Yes\"", "\"y\"", "\"Y\"", "\"true\"", "true")) {
            assertTrue(load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nanalyze_tables = " + yes + "\n")
                    .select("a").get(0).analyzeTables(), yes);
        }
        for (String no : List.of("\"no\"", "\"N\"", "\"false\"", "false")) {
            assertFalse(load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nanalyze_tables = " + no + "\n")
                    .select("a").get(0).analyzeTables(), no);
        }
    }

    @Test
    void durationsTakePostgresUnits() throws IOException {
        ConnectionConfig c = load("""
                [connections.a]
                user = "u"
                database = "d"
                lock_timeout = "1min"
                check_time = "1.5s"
                """).select("a").get(0);
        assertEquals(Duration.ofMinutes(1), c.lockTimeout());
        assertEquals(Duration.ofMillis(1500), c.checkTime());
    }

    @Test
    void anEmptyPasswordMeansNoneSoThePasswordFileIsUsedAsLibpqDoes() throws IOException {
        ConnectionConfig c = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\npassword = \"\"\n").select("all").get(0);
        assertNull(c.password());
        assertEquals("(from PGPASSWORD or the password file)", c.describe().get("password"));
    }

    @Test
    void missingKeysTakeTheirDefaults() throws IOException {
        RpclConfig config = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\n");
        assertEquals(home.pidDir(), config.pidDir());
        assertEquals(home.logDir(), config.logging().logDir());
        assertEquals("info", config.logging().logLevel());
        assertEquals("file", config.logging().logDest());
        assertEquals(4, config.logging().logDaysKeep());
        assertFalse(config.notifier().enableEmail());
        assertNull(config.notifier().email());
        ConnectionConfig c = config.select("all").get(0);
        assertNull(c.password());
        assertEquals("localhost", c.host());
        assertEquals(5432, c.port());
        assertEquals(SslMode.PREFER, c.sslmode());
        assertEquals(List.of(), c.schemas());
        assertEquals(List.of(), c.tables());
        assertEquals(100_000, c.maxReplayRows());
        assertEquals(Duration.ofSeconds(3), c.lockTimeout());
        assertEquals(Duration.ofSeconds(10), c.checkTime());
        assertTrue(c.analyzeTables());
        assertEquals(DeadlockResolution.NOTHING, c.deadlockResolution());
    }

    @Test
    void tildeIsTheUsersHomeAndOtherPathsAreKept() throws IOException {
        RpclConfig config = load("""
                pid_dir = "~/run/rpcl"
                [logging]
                log_dir = "/var/log/rpcl"
                [connections.a]
                user = "u"
                database = "d"
                """);
        assertEquals(userHome.resolve("run/rpcl"), config.pidDir());
        assertEquals(Path.of("/var/log/rpcl"), config.logging().logDir());
    }

    @Test
    void enumeratedValuesIgnoreCaseAndSpaces() throws IOException {
        ConnectionConfig c = load("""
                [connections.a]
                user = "u"
                database = "d"
                sslmode = "Verify-Full"
                deadlock_resolution = " KILL_QUERY"
                """).select("a").get(0);
        assertEquals(SslMode.VERIFY_FULL, c.sslmode());
        assertEquals(DeadlockResolution.KILL_QUERY, c.deadlockResolution());
    }

    @Test
    void connectionsKeepTheFileOrder() throws IOException {
        RpclConfig config = load("""
                [connections.zeta]
                user = "u"
                database = "d"
                [connections.alpha]
                user = "u"
                database = "d"
                """);
        assertEquals(List.of("zeta", "alpha"), List.copyOf(config.connections().keySet()));
        assertEquals("alpha", config.select("alpha").get(0).name());
    }

    @Test
    void unknownKeysBecomeWarningsNamingKeyAndFile() throws IOException {
        RpclConfig config = load("""
                colour = "red"
                [connections.a]
                user = "u"
                database = "d"
                max_rows = 5
                """);
        assertEquals(List.of("Unknown key colour in " + home.configFile("default") + " is ignored.",
                "Unknown key connections.a.max_rows in " + home.configFile("default") + " is ignored."), config.warnings());
    }

    @Test
    void aLockTimeoutPastWhatPostgresTakesIsRefusedWhenTheFileIsRead() {
        RpclException e = assertThrows(RpclException.class,
                () -> load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nlock_timeout = \"30d\"\n"));
        assertTrue(e.getMessage().contains("Bad value '30d' for connections.a.lock_timeout")
                && e.getMessage().contains("at most 2147483647 ms"), e.getMessage());
    }

    @Test
    void aTableListWrittenAsAStringIsRefusedAndListsShowAsWritten() {
        RpclException e = assertThrows(RpclException.class,
                () -> load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\ntables = \"public.t\"\n"));
        assertTrue(e.getMessage().contains("Bad value 'public.t' for connections.a.tables")
                && e.getMessage().contains("one item is written ['a']"), e.getMessage());
        e = assertThrows(RpclException.class,
                () -> load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nlock_timeout = [\"3s\", 5]\n"));
        assertTrue(e.getMessage().contains("Bad value [\"3s\", 5] for connections.a.lock_timeout"), e.getMessage());
    }

    @Test
    void connectionThatIsNotASectionIsBadInput() {
        RpclException e = assertThrows(RpclException.class, () -> load("connections = 5\n"));
        assertEquals(RpclException.Kind.BAD_INPUT, e.kind());
        e = assertThrows(RpclException.class, () -> load("[connections]\nmain = \"x\"\n"));
        assertTrue(e.getMessage().contains("[connections.main]"), e.getMessage());
    }

    @Test
    void showConnectionsDescriptionNeverHoldsThePassword() throws IOException {
        ConnectionConfig c = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\npassword = \"s3cr3t\"\n")
                .select("a").get(0);
        assertFalse(c.describe().toString().contains("s3cr3t"), c.describe().toString());
        assertFalse(c.toString().contains("s3cr3t"), c.toString());
    }

    @Test
    void showConnectionsSaysAllOnlyWhenNeitherSchemasNorTablesAreListed() throws IOException {
        ConnectionConfig both = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\n").select("a").get(0);
        assertEquals("(all)", both.describe().get("schemas"));
        assertEquals("(all)", both.describe().get("tables"));
        ConnectionConfig tables = load("[connections.a]\nuser = \"u\"\ndatabase = \"d\"\nschemas = []\ntables = ['public.orders']\n")
                .select("a").get(0);
        assertEquals("(none)", tables.describe().get("schemas"), "only the tables listed are repacked");
        assertEquals("public.orders", tables.describe().get("tables"));
    }

    @Test
    void smtpPasswordStaysOutOfTheEmailConfigsText() throws IOException {
        RpclConfig config = load("[notifier.email]\nsmtp_password = \"m4ilpw\"\n");
        assertFalse(config.notifier().toString().contains("m4ilpw"), config.notifier().toString());
        assertEquals("m4ilpw", config.notifier().email().smtpPassword());
    }
}
