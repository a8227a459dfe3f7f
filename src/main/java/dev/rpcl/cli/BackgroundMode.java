package dev.rpcl.cli;

import dev.rpcl.config.RpclConfig;
import dev.rpcl.daemon.Background;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.daemon.RunningProcess;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.logging.LogSetup;
import java.util.List;

/**
 * How prepare_repack, repack_tables and replay_data run: detached into the background unless
 * --debug or log_dest = console keep them in the foreground; and, in whichever process does
 * the work, owning the pid file and stopping at a safe point on SIGTERM or Ctrl-C.
 */
final class BackgroundMode {

    /** The work of the command, given the stop signal it must poll; returns the exit code. */
    interface Work {
        int run(StopSignal stop);
    }

    private BackgroundMode() {
    }

    /**
     * Runs {@code work} here, or starts this same command line detached and prints
     * {@code startedMessage} (repcloud's, e.g. "Repack tables process started.") with its pid.
     */
    static int run(RpclCommand cmd, PidFile.Kind kind, String startedMessage, Work work) {
        RpclConfig config = cmd.config();
        PidFile pidFile = new PidFile(config.pidDir(), kind, config.name());
        if (!Background.staysInForeground(cmd.debug(), config.logging().toConsole(), cmd.root.env())) {
            Background.Started started = Background.launch(pidFile, LogSetup.logFile(config.logging(), config.name()),
                    originalArgs(cmd), cmd.root.env(), Rpcl.class.getName());
            cmd.out().println(startedMessage);
            cmd.out().println(started.finished()
                    ? "It has already finished (pid " + started.pid() + "); see " + started.logFile() + "."
                    : "pid " + started.pid() + ", pid file " + started.pidFile() + ", log " + started.logFile()
                            + ". Stop it with: rpcl " + kind.stopCommand() + " --config " + config.name());
            return ExitCode.OK;
        }
        try (RunningProcess process = RunningProcess.start(pidFile)) {
            return work.run(process.stopSignal());
        }
    }

    /** The arguments this rpcl was started with, for the detached copy of it. */
    static List<String> originalArgs(RpclCommand cmd) {
        return cmd.root.spec.commandLine().getParseResult().originalArgs();
    }
}
