package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclConfig;
import dev.rpcl.daemon.Background;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.daemon.RunningProcess;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.daemon.Stopper;
import dev.rpcl.db.Database;
import dev.rpcl.engine.HelperSchema;
import dev.rpcl.logging.LogSetup;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalInt;

/**
 * How prepare_repack, repack_tables and replay_data run: detached into the background unless
 * --debug or log_dest = console keep them in the foreground; and, in whichever process does
 * the work, owning the pid file and stopping at a safe point on SIGTERM or Ctrl-C. A command
 * uses it in two lines:
 * <pre>
 * OptionalInt launched = BackgroundMode.detach(this, PidFile.Kind.REPACK, "Repack tables process started.", PidFile.Kind.REPLAY);
 * return launched.isPresent() ? launched.getAsInt() : BackgroundMode.runHere(this, PidFile.Kind.REPACK, stop -> ...);
 * </pre>
 */
final class BackgroundMode {

    /** The work of the command, given the stop signal it must poll; returns the exit code. */
    interface Work {
        int run(StopSignal stop);
    }

    private BackgroundMode() {
    }

    /**
     * In the process the user started: first stops the {@code stopFirst} processes of the
     * configuration (as repcloud stopped replay_data before a repack), then, unless the command
     * stays in the foreground, starts this same command line detached, prints
     * {@code startedMessage} with its pid, and returns the exit code. Empty: do the work here.
     */
    static OptionalInt detach(RpclCommand cmd, PidFile.Kind kind, String startedMessage, PidFile.Kind... stopFirst) {
        return detach(cmd, kind, startedMessage, (c, db) -> { }, stopFirst);
    }

    /** A command's own check of one connection, before it goes to the background (table_conf, say). */
    interface Check {
        void run(ConnectionConfig connection, Database db);
    }

    /** As {@link #detach(RpclCommand, PidFile.Kind, String, PidFile.Kind...)}, with {@code check} run for each connection before going to the background. */
    static OptionalInt detach(RpclCommand cmd, PidFile.Kind kind, String startedMessage, Check check,
                              PidFile.Kind... stopFirst) {
        RpclConfig config = cmd.config();
        if (Background.isDetachedChild(cmd.root.env())) {
            return OptionalInt.empty();
        }
        boolean foreground = cmd.root.foreground || cmd.root.json
                || Background.staysInForeground(cmd.debug(), config.logging().toConsole(), cmd.root.env());
        if (!foreground) {
            // Before anything is stopped or started: a refusal leaves everything as it was.
            preflight(cmd, check);
        }
        for (PidFile.Kind other : stopFirst) {
            Stopper.Outcome outcome = stop(cmd, other);
            if (outcome.state() != Stopper.State.NOT_RUNNING) {
                cmd.out().println(outcome.message());
            }
        }
        if (foreground) {
            return OptionalInt.empty();
        }
        PidFile pidFile = new PidFile(config.pidDir(), kind, config.name());
        Background.Started started = Background.launch(pidFile, LogSetup.logFile(config.logging(), config.name()),
                originalArgs(cmd), cmd.root.env(), Rpcl.class.getName());
        cmd.out().println(startedMessage);
        cmd.out().println(started.finished()
                ? "It has already finished (pid " + started.pid() + "); see " + started.logFile() + "."
                : "pid " + started.pid() + ", pid file " + started.pidFile() + ", log " + started.logFile()
                        + ". Stop it with: rpcl " + kind.stopCommand() + " --config " + config.name());
        return OptionalInt.of(ExitCode.OK);
    }

    /**
     * What would make the detached process fail at once is checked here, where the user still
     * reads the answer: every selected database answers, has the helper schemas, and passes the
     * command's own check.
     */
    private static void preflight(RpclCommand cmd, Check check) {
        for (ConnectionConfig c : cmd.connections()) {
            try (Database db = new Database(c, 1)) {
                try (Connection conn = db.connect()) {
                    HelperSchema.requirePresent(conn, db);
                } catch (SQLException e) {
                    throw RpclException.failed("Cannot check database " + c.database() + " (connection " + c.name() + "): "
                            + Database.rootMessage(e) + ".", e);
                }
                check.run(c, db);
            }
        }
    }

    /** Does the work in this process, which owns the pid file of {@code kind} meanwhile. */
    static int runHere(RpclCommand cmd, PidFile.Kind kind, Work work) {
        RpclConfig config = cmd.config();
        try (RunningProcess process = RunningProcess.start(new PidFile(config.pidDir(), kind, config.name()))) {
            return work.run(process.stopSignal());
        }
    }

    /** Stops the configuration's {@code kind} process if one runs, saying that it waits for it. */
    static Stopper.Outcome stop(RpclCommand cmd, PidFile.Kind kind) {
        PidFile file = new PidFile(cmd.config().pidDir(), kind, cmd.config().name());
        return Stopper.stop(file, null, pid -> {
            cmd.out().println("Requesting " + kind.command() + " of configuration " + cmd.config().name() + " (pid " + pid
                    + ") to stop; waiting for it to reach a safe point...");
            cmd.out().flush();
        });
    }

    /** The arguments this rpcl was started with, for the detached copy of it. */
    static List<String> originalArgs(RpclCommand cmd) {
        return cmd.root.spec.commandLine().getParseResult().originalArgs();
    }
}
