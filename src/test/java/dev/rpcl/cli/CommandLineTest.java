package dev.rpcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line as a user meets it, without a database: options, help, and every bad input. */
class CommandLineTest {

    @TempDir
    Path home;

    /** A valid configuration with a connection "main"; {@code extra} lines go where their [section] says. */
    private Path writeConnections(String name, String connections, String... extra) throws IOException {
        StringBuilder toml = new StringBuilder("pid_dir = \"" + home.resolve("pid") + "\"\n");
        String logging = "log_dir = \"" + home.resolve("logs") + "\"\n";
        String notifier = "";
        String email = null;
        for (String line : extra) {
            String[] sectionAndLine = line.split("\\|", 2);
            switch (sectionAndLine[0]) {
                case "top" -> toml.append(sectionAndLine[1]).append('\n');
                case "logging" -> logging += sectionAndLine[1] + "\n";
                case "notifier" -> notifier += sectionAndLine[1] + "\n";
                case "email" -> email = (email == null ? "" : email) + sectionAndLine[1] + "\n";
                case "main" -> connections = connections.replace("[connections.main]\n",
                        "[connections.main]\n" + sectionAndLine[1] + "\n");
                default -> throw new IllegalArgumentException(line);
            }
        }
        toml.append("[logging]\n").append(logging).append("[notifier]\n").append(notifier);
        if (email != null) {
            toml.append("[notifier.email]\n").append(email);
        }
        toml.append(connections);
        Path file = home.resolve("config").resolve(name + ".toml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, toml);
        return file;
    }

    private static String connection(String name, String database) {
        return "[connections." + name + "]\nuser = \"owner_" + name + "\"\npassword = \"pw-" + name
                + "-secret\"\nhost = \"127.0.0.1\"\ndatabase = \"" + database + "\"\n";
    }

    private Path writeConfig(String name, String... extra) throws IOException {
        return writeConnections(name, connection("main", "db_main"), extra);
    }

    /** Exit code 2, and a single "rpcl: error:" line without a stack trace. */
    private static String oneBadInputLine(CliRun run) {
        assertEquals(2, run.exitCode(), run::toString);
        List<String> errors = run.err().lines().filter(l -> l.startsWith("rpcl: error:")).toList();
        assertEquals(1, errors.size(), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
        assertEquals("", run.out(), run::toString);
        return errors.get(0);
    }

    @Test
    void missingCommandExitsTwoAndListsTheCommands() {
        CliRun run = CliRun.run(home);
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Missing command"), run::toString);
        assertTrue(run.err().contains("show_connections, plan, status, create_schema, drop_schema, repack_tables"), run::toString);
        assertTrue(run.err().contains("rpcl --help"), run::toString);
    }

    @Test
    void optionsWithoutACommandStillAskForOne() {
        CliRun run = CliRun.run(home, "--debug", "--config", "default");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Missing command"), run::toString);
    }

    @Test
    void unknownCommandExitsTwoNamingItAndTheKnownCommands() {
        CliRun run = CliRun.run(home, "repack_tabels");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Unknown command 'repack_tabels'. Did you mean repack_tables?"), run::toString);
        assertTrue(run.err().contains("repack_tables"), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
    }

    @Test
    void aPrefixOfCommandsSuggestsThemAll() {
        CliRun run = CliRun.run(home, "stop");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Did you mean stop_prepare or stop_repack or stop_replay?"), run::toString);
    }

    @Test
    void unknownOptionExitsTwo() {
        CliRun run = CliRun.run(home, "show_connections", "--conection", "main");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("--conection"), run::toString);
    }

    @Test
    void helpListsEveryCommandAndOption() {
        CliRun run = CliRun.run(home, "--help");
        assertEquals(0, run.exitCode(), run::toString);
        for (String word : List.of("show_connections", "create_schema", "drop_schema", "repack_tables", "prepare_repack",
                "abort_repack", "replay_data", "stop_prepare", "stop_repack", "stop_replay", "--config", "--connection",
                "--debug", "--start-replay", "--version")) {
            assertTrue(run.out().contains(word), () -> word + " missing from\n" + run);
        }
    }

    @Test
    void helpOfACommandShowsItsInheritedOptions() {
        CliRun run = CliRun.run(home, "create_schema", "--help");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("rpcl create_schema"), run::toString);
        assertTrue(run.out().contains("--connection"), run::toString);
    }

    @Test
    void versionPrintsTheProjectVersion() {
        CliRun run = CliRun.run(home, "--version");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().matches("(?s)rpcl \\d+\\.\\d+\\.\\d+.*"), run::toString);
    }

    @Test
    void firstRunSaysItCreatedTheHomeAndHowToWriteTheConfig() {
        Path fresh = home.resolve("new-home");
        CliRun run = CliRun.run(fresh, "show_connections");
        String line = oneBadInputLine(run);
        assertTrue(run.err().contains("Created the rpcl home directory " + fresh), run::toString);
        assertTrue(line.contains(fresh.resolve("config/default.toml").toString()), line);
        assertTrue(line.contains("cp " + fresh.resolve("config/config-example.toml")), line);
        assertTrue(Files.isRegularFile(fresh.resolve("config/config-example.toml")));
    }

    @Test
    void missingConfigFileNamesThePathAndTheExample() {
        String line = oneBadInputLine(CliRun.run(home, "show_connections", "--config", "nightly"));
        assertTrue(line.contains(home.resolve("config/nightly.toml").toString()), line);
        assertTrue(line.contains("config-example.toml"), line);
    }

    @Test
    void configNameMayCarryTheTomlSuffix() throws IOException {
        writeConnections("nightly", connection("night", "db_night"));
        CliRun run = CliRun.run(home, "show_connections", "--config", "nightly.toml");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("Connection night"), run::toString);
    }

    @Test
    void configNameIsNotAPath() {
        String line = oneBadInputLine(CliRun.run(home, "show_connections", "--config", "../elsewhere"));
        assertTrue(line.contains("--config"), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {"before", "after"})
    void optionsGoBeforeOrAfterTheCommand(String where) throws IOException {
        writeConnections("two", connection("first", "db1") + connection("second", "db2"));
        List<String> options = List.of("--config", "two", "--connection", "second", "--start-replay");
        List<String> args = new java.util.ArrayList<>(options);
        args.add(where.equals("before") ? 0 : args.size(), "show_connections");
        CliRun run = CliRun.run(home, args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("Connection second"), run::toString);
        assertTrue(run.out().contains("db2"), run::toString);
        assertFalse(run.out().contains("Connection first"), run::toString);
    }

    @Test
    void withoutConnectionOptionEveryConnectionIsShownInFileOrder() throws IOException {
        writeConnections("default", connection("zeta", "db1") + connection("alpha", "db2"));
        CliRun run = CliRun.run(home, "show_connections");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().indexOf("Connection zeta") < run.out().indexOf("Connection alpha"), run::toString);
        assertTrue(run.out().indexOf("Connection alpha") > 0, run::toString);
    }

    @Test
    void repcloudStyleConfigFileWorksThroughTheCommandLine() throws IOException {
        Path file = home.resolve("config/default.toml");
        Files.createDirectories(file.getParent());
        try (var in = getClass().getResourceAsStream("/compat/repcloud-style.toml")) {
            // Only its ~/.repcloud paths are pointed at the test's home, to keep the user's home clean.
            Files.writeString(file, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("~/.repcloud", home.toString()));
        }
        CliRun run = CliRun.run(home, "show_connections", "--connection", "repack");
        assertEquals(0, run.exitCode(), run::toString);
        assertFalse(run.err().contains("warning"), run::toString);
        assertTrue(run.out().contains("| database            | appdb"), run::toString);
        assertFalse(run.out().contains("app-secret"), run::toString);
    }

    @Test
    void unknownConnectionListsTheKnownOnes() throws IOException {
        writeConnections("default", connection("first", "db1") + connection("second", "db2"));
        String line = oneBadInputLine(CliRun.run(home, "show_connections", "--connection", "third"));
        assertTrue(line.contains("Unknown connection 'third'"), line);
        assertTrue(line.contains("known connections: first, second"), line);
    }

    @Test
    void configWithoutConnectionsIsBadInput() throws IOException {
        writeConnections("default", "");
        String line = oneBadInputLine(CliRun.run(home, "show_connections"));
        assertTrue(line.contains("[connections.NAME]"), line);
    }

    @Test
    void tomlSyntaxErrorNamesFileAndLine() throws IOException {
        Path file = writeConfig("default");
        Files.writeString(file, Files.readString(file) + "port = \"5432\n");
        long line = Files.readAllLines(file).size();
        String error = oneBadInputLine(CliRun.run(home, "show_connections"));
        assertTrue(error.contains("Syntax error in " + file + " at line " + line + ","), error);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = ';', quoteCharacter = '`', value = {
        "logging; log_level = 'verbose'; logging.log_level; 'verbose'; allowed values are debug, info, warning, error",
        "logging; log_dest = 'syslog'; logging.log_dest; 'syslog'; allowed values are file, console",
        "logging; log_days_keep = 'four'; logging.log_days_keep; 'four'; expected a whole number",
        "notifier; enable_email = 'perhaps'; notifier.enable_email; 'perhaps'; expected true or false",
        "email; smtp_ssl = 'tls'; notifier.email.smtp_ssl; 'tls'; allowed values are none, starttls, ssl",
        "email; smtp_port = '25a'; notifier.email.smtp_port; '25a'; expected a whole number from 1 to 65535",
        "main; sslmode = 'sometimes'; connections.main.sslmode; 'sometimes'; allowed values are disable, allow, prefer, require, verify-ca, verify-full",
        "main; deadlock_resolution = 'shoot'; connections.main.deadlock_resolution; 'shoot'; allowed values are nothing, cancel_query, kill_query",
        "main; port = '54x2'; connections.main.port; '54x2'; expected a whole number from 1 to 65535",
        "main; port = 70000; connections.main.port; 70000; expected a whole number from 1 to 65535",
        "main; max_replay_rows = 0; connections.main.max_replay_rows; 0; expected a whole number from 1",
        "main; max_replay_rows = 1.5; connections.main.max_replay_rows; 1.5; expected a whole number",
        "main; lock_timeout = '3 parsecs'; connections.main.lock_timeout; '3 parsecs'; expected a duration such as \"3s\"",
        "main; lock_timeout = '0'; connections.main.lock_timeout; '0'; must be more than 0",
        "main; check_time = 'soon'; connections.main.check_time; 'soon'; a bare number is seconds",
        "main; analyze_tables = 'maybe'; connections.main.analyze_tables; 'maybe'; expected true or false",
        "main; tables = ['orders']; connections.main.tables; 'orders'; written schema.table",
        "main; tables = ['public.']; connections.main.tables; 'public.'; written schema.table",
        "main; schemas = 5; connections.main.schemas; 5; expected a list of strings",
        "email; mailfrom = 5.5; notifier.email.mailfrom; 5.5; expected a string",
    })
    void badValueNamesKeyValueFileAndWhatIsAllowed(String section, String line, String key, String shown, String allowed)
            throws IOException {
        Path file = writeConfig("default", section + "|" + line.replace('\'', '"'));
        String error = oneBadInputLine(CliRun.run(home, "show_connections"));
        assertTrue(error.contains(key), error);
        assertTrue(error.contains(shown), error);
        assertTrue(error.contains(file.toString()), error);
        assertTrue(error.contains(allowed), error);
    }

    @Test
    void missingRequiredKeyIsNamed() throws IOException {
        writeConnections("default", "[connections.main]\nhost = \"127.0.0.1\"\ndatabase = \"d\"\n");
        String error = oneBadInputLine(CliRun.run(home, "show_connections"));
        assertTrue(error.contains("Missing connections.main.user"), error);
    }

    @Test
    void enabledEmailWithoutRecipientsIsBadInput() throws IOException {
        writeConfig("default", "notifier|enable_email = true", "email|mailfrom = \"rpcl@example.com\"",
                "email|smtp_server = \"smtp.example.com\"", "email|mailto = []");
        String error = oneBadInputLine(CliRun.run(home, "show_connections"));
        assertTrue(error.contains("notifier.email.mailto"), error);
    }

    @Test
    void unknownKeysAreWarnedAboutAndIgnored() throws IOException {
        Path file = writeConfig("default", "main|lock_timout = \"5s\"", "logging|log_colour = \"red\"", "top|[storage]");
        CliRun run = CliRun.run(home, "show_connections");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("rpcl: warning: Unknown key connections.main.lock_timout in " + file), run::toString);
        assertTrue(run.err().contains("rpcl: warning: Unknown key logging.log_colour"), run::toString);
        assertTrue(run.err().contains("rpcl: warning: Unknown key storage"), run::toString);
        assertTrue(run.out().contains("| lock_timeout        | 3s"), run::toString);
    }

    @Test
    void debugForcesDebugLinesIntoTheLogFileWhateverLogLevelSays() throws IOException {
        writeConfig("default", "logging|log_level = \"error\"");
        Path log = home.resolve("logs/repack_default.log");
        assertEquals(0, CliRun.run(home, "show_connections").exitCode());
        assertFalse(Files.exists(log) && Files.readString(log).contains("rpcl show_connections"), "nothing below error");
        assertEquals(0, CliRun.run(home, "show_connections", "--debug").exitCode());
        assertTrue(Files.readString(log).contains("DEBUG [main] RpclCommand: rpcl show_connections with configuration"),
                Files.readString(log));
    }

    @Test
    void debugShowsTheStackTraceWhereverTheOptionStands() {
        for (String[] args : List.of(new String[] {"--debug", "show_connections"}, new String[] {"show_connections", "--debug"})) {
            CliRun run = CliRun.run(home, args);
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains("rpcl: error: Configuration file"), run::toString);
            assertTrue(run.err().contains("\tat dev.rpcl.config.ConfigLoader.load"), run::toString);
        }
    }
}
