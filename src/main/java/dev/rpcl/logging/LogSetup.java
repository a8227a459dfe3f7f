package dev.rpcl.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.TimeBasedRollingPolicy;
import dev.rpcl.RpclException;
import dev.rpcl.config.RpclConfig.LoggingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback from the TOML's [logging] section: {@code <log_dir>/repack_<config>.log},
 * rolled daily with log_days_keep files kept, and the console as well when log_dest is console
 * or with --debug (which also forces level debug).
 */
public final class LogSetup {
    private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";
    /** Without --debug the console shows messages, never stack traces; the file keeps them. */
    private static final String CONSOLE_PATTERN = PATTERN + "%nopex";

    /**
     * For what the CLI has already printed (its final error report, configuration warnings):
     * written to the log file, kept off the console so the user does not read it twice.
     */
    public static final String FILE_ONLY_LOGGER = "dev.rpcl.cli.Report";

    private LogSetup() {
    }

    public static Path logFile(LoggingConfig logging, String configName) {
        return logging.logDir().resolve("repack_" + configName + ".log");
    }

    /**
     * Before a configuration is loaded there is no log file yet; the CLI reports errors itself,
     * so logging stays silent rather than printing each of them twice.
     */
    public static void quiet() {
        reset().getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.OFF);
    }

    public static Path configure(LoggingConfig logging, String configName, boolean debug) {
        Path file = logFile(logging, configName);
        try {
            Files.createDirectories(logging.logDir());
        } catch (IOException e) {
            throw RpclException.badInput("Cannot create log_dir " + logging.logDir() + ": " + e.getMessage()
                    + ". Fix [logging] log_dir in the configuration.");
        }
        // Logback would only note a failed open in its status list and log nowhere; say it instead.
        if (!Files.isWritable(logging.logDir()) || Files.exists(file) && !Files.isWritable(file)) {
            throw RpclException.badInput("Cannot write the log file " + file + ". Fix its permissions or [logging]"
                    + " log_dir in the configuration.");
        }
        LoggerContext ctx = reset();
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(debug ? Level.DEBUG : level(logging.logLevel()));

        RollingFileAppender<ILoggingEvent> fileAppender = new RollingFileAppender<>();
        fileAppender.setContext(ctx);
        fileAppender.setName("file");
        fileAppender.setFile(file.toString());
        TimeBasedRollingPolicy<ILoggingEvent> policy = new TimeBasedRollingPolicy<>();
        policy.setContext(ctx);
        policy.setParent(fileAppender);
        policy.setFileNamePattern(file + ".%d{yyyy-MM-dd}");
        policy.setMaxHistory(logging.logDaysKeep());
        policy.setCleanHistoryOnStart(true);
        policy.start();
        fileAppender.setRollingPolicy(policy);
        fileAppender.setEncoder(encoder(ctx, PATTERN));
        fileAppender.start();
        root.addAppender(fileAppender);

        if (debug || logging.toConsole()) {
            root.addAppender(console(ctx, debug ? PATTERN : CONSOLE_PATTERN));
        }
        quietLibraries(ctx);
        return file;
    }

    private static LoggerContext reset() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        return ctx;
    }

    private static void quietLibraries(LoggerContext ctx) {
        // HikariCP and pgjdbc are chatty at debug; their detail rarely helps a DBA.
        ctx.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
        ctx.getLogger("org.postgresql").setLevel(Level.WARN);
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext ctx, String pattern) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("console");
        console.setEncoder(encoder(ctx, pattern));
        console.addFilter(new ch.qos.logback.core.filter.Filter<>() {
            @Override
            public ch.qos.logback.core.spi.FilterReply decide(ILoggingEvent event) {
                return event.getLoggerName().equals(FILE_ONLY_LOGGER)
                        ? ch.qos.logback.core.spi.FilterReply.DENY : ch.qos.logback.core.spi.FilterReply.NEUTRAL;
            }
        });
        console.start();
        return console;
    }

    private static PatternLayoutEncoder encoder(LoggerContext ctx, String pattern) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(pattern);
        encoder.start();
        return encoder;
    }

    private static Level level(String logLevel) {
        return switch (logLevel) {
            case "debug" -> Level.DEBUG;
            case "warning" -> Level.WARN;
            case "error" -> Level.ERROR;
            default -> Level.INFO;
        };
    }
}
