package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.config.TableConf;
import dev.rpcl.logging.LogSetup;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * What every command shares: the inherited options, the home directory, the loaded
 * configuration and logging. A command parses, calls the engine, prints the result.
 */
abstract class RpclCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RpclCommand.class);

    @CommandLine.ParentCommand
    Rpcl root;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private RpclHome home;
    private RpclConfig config;

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    protected RpclHome home() {
        if (home == null) {
            home = RpclHome.fromEnvironment(root.env()).initialise();
            for (String notice : home.notices()) {
                err().println("rpcl: " + notice + ".");
            }
            err().flush();
        }
        return home;
    }

    /** Loads and validates the configuration, prints its warnings and starts logging to its log file. */
    protected RpclConfig config() {
        if (config == null) {
            config = new ConfigLoader(home()).load(root.config);
            for (String warning : config.warnings()) {
                err().println("rpcl: warning: " + warning);
            }
            err().flush();
            LogSetup.configure(config.logging(), config.name(), root.debug);
            // Already on the terminal: into the log file only, so the console does not repeat them.
            Logger fileOnly = LoggerFactory.getLogger(LogSetup.FILE_ONLY_LOGGER);
            for (String warning : config.warnings()) {
                fileOnly.warn(warning);
            }
            // A command that only reads (status --watch every few seconds, plan) leaves the log to the runs.
            if (changesSomething()) {
                LOG.info("rpcl {} with configuration {}, connection {}", spec.name(), config.file(), root.connection);
            } else {
                LOG.debug("rpcl {} with configuration {}, connection {}", spec.name(), config.file(), root.connection);
            }
        }
        return config;
    }

    /** The connections selected with --connection (all by default); never empty. */
    protected List<ConnectionConfig> connections() {
        List<ConnectionConfig> selected = config().select(root.connection);
        if (selected.isEmpty()) {
            throw RpclException.badInput("There is no connection in " + config().file() + ". Add a [connections.NAME]"
                    + " section; " + home().configDir().resolve("config-example.toml") + " shows one.");
        }
        return selected;
    }

    /** The connection's table_conf, its warnings printed and logged; no file means no settings. */
    protected TableConf tableConf(ConnectionConfig connection) {
        TableConf conf = TableConf.load(home(), root.config, connection.name());
        Logger fileOnly = LoggerFactory.getLogger(LogSetup.FILE_ONLY_LOGGER);
        for (String warning : conf.warnings()) {
            err().println("rpcl: warning: " + warning);
            fileOnly.warn(warning);
        }
        err().flush();
        if (conf.present()) {
            LOG.info("Per-table settings of connection {} from {}", connection.name(), conf.file());
        }
        return conf;
    }

    /** Whether the command changes anything (the log records the start of those at info level). */
    protected boolean changesSomething() {
        return true;
    }

    protected boolean debug() {
        return root.debug;
    }
}
