package dev.rpcl.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import dev.rpcl.config.RpclConfig.LoggingConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogSetupTest {
    private static final Logger LOG = LoggerFactory.getLogger(LogSetupTest.class);

    @TempDir
    Path dir;

    private final PrintStream realOut = System.out;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        System.setOut(realOut);
        LogSetup.quiet();
    }

    private LoggingConfig logging(String level, String dest) {
        return new LoggingConfig(dir.resolve("logs"), level, dest, 6);
    }

    /** Logback's console appender writes to whatever System.out is at the time of each event. */
    private void captureConsole() {
        System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
    }

    private String consoleText() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logFileIsRepackConfigLogInLogDirAtTheConfiguredLevel() throws IOException {
        Path file = LogSetup.configure(logging("info", "file"), "nightly", false);
        assertEquals(dir.resolve("logs/repack_nightly.log"), file);
        LOG.info("copying table {}", "public.orders");
        LOG.debug("a detail nobody asked for");
        String text = Files.readString(file);
        assertTrue(text.matches("(?s)\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} INFO .*LogSetupTest: copying table public.orders\n"),
                text);
        assertFalse(text.contains("a detail nobody asked for"), text);
    }

    @Test
    void warningLevelDropsInfo() throws IOException {
        Path file = LogSetup.configure(logging("warning", "file"), "default", false);
        LOG.info("routine");
        LOG.warn("lock not obtained");
        String text = Files.readString(file);
        assertFalse(text.contains("routine"), text);
        assertTrue(text.contains("WARN  [main] LogSetupTest: lock not obtained"), text);
    }

    @Test
    void debugForcesDebugLevelAndTheConsole() throws IOException {
        captureConsole();
        Path file = LogSetup.configure(logging("error", "file"), "default", true);
        LOG.debug("replayed {} rows", 42);
        assertTrue(Files.readString(file).contains("replayed 42 rows"));
        assertTrue(consoleText().contains("replayed 42 rows"), consoleText());
    }

    @Test
    void consoleGetsTheLogWhenLogDestIsConsole() throws IOException {
        captureConsole();
        Path file = LogSetup.configure(logging("info", "console"), "default", false);
        LOG.info("swapped public.orders");
        assertTrue(consoleText().contains("swapped public.orders"), consoleText());
        assertTrue(Files.readString(file).contains("swapped public.orders"), "the file is always written");
    }

    @Test
    void fileDestinationKeepsTheConsoleQuiet() {
        captureConsole();
        LogSetup.configure(logging("debug", "file"), "default", false);
        LOG.info("only in the file");
        assertEquals("", consoleText());
    }

    @Test
    void consoleShowsStackTracesOnlyWithDebugWhileTheFileAlwaysKeepsThem() throws IOException {
        captureConsole();
        Path file = LogSetup.configure(logging("info", "console"), "default", false);
        LOG.error("copy failed", new IllegalStateException("boom"));
        assertTrue(consoleText().contains("copy failed"), consoleText());
        assertFalse(consoleText().contains("IllegalStateException"), consoleText());
        assertTrue(Files.readString(file).contains("java.lang.IllegalStateException: boom"));

        console.reset();
        LogSetup.configure(logging("info", "console"), "default", true);
        LOG.error("copy failed again", new IllegalStateException("boom"));
        assertTrue(consoleText().contains("java.lang.IllegalStateException: boom"), consoleText());
    }

    @Test
    void whatTheCliAlreadyPrintedGoesToTheFileOnly() throws IOException {
        captureConsole();
        Path file = LogSetup.configure(logging("info", "console"), "default", true);
        LoggerFactory.getLogger(LogSetup.FILE_ONLY_LOGGER).error("Cannot connect to database d");
        assertFalse(consoleText().contains("Cannot connect"), consoleText());
        assertTrue(Files.readString(file).contains("Cannot connect to database d"));
    }

    @Test
    void logDirThatCannotBeCreatedIsBadInputNamingIt() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
        var config = new LoggingConfig(notADirectory.resolve("logs"), "info", "file", 4);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.rpcl.RpclException.class,
                () -> LogSetup.configure(config, "default", false));
        assertEquals(dev.rpcl.RpclException.Kind.BAD_INPUT, e.kind());
        assertTrue(e.getMessage().contains("log_dir " + notADirectory.resolve("logs")), e.getMessage());
    }

    @Test
    void fileRollsDailyKeepingLogDaysKeepFiles() {
        Path file = LogSetup.configure(logging("info", "file"), "default", false);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        var appender = (RollingFileAppender<?>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("file");
        var policy = (TimeBasedRollingPolicy<?>) appender.getRollingPolicy();
        assertEquals(6, policy.getMaxHistory());
        assertEquals(file + ".%d{yyyy-MM-dd}", policy.getFileNamePattern());
    }
}
