package dev.rpcl.cli;

import dev.rpcl.daemon.PidFile;
import picocli.CommandLine.Command;

/**
 * stop_prepare, stop_repack, stop_replay: signal a background process and wait until it has
 * exited. The process stops at its next safe point, so the same command run again resumes.
 * Nothing running is reported and exits 0: the state asked for, nothing running, holds.
 */
final class StopCommands {
    private StopCommands() {
    }

    static int stop(RpclCommand cmd, PidFile.Kind kind) {
        cmd.out().println(BackgroundMode.stop(cmd, kind).message());
        return ExitCode.OK;
    }

    @Command(name = "stop_prepare", description = "Stop the background prepare_repack process of the configuration.")
    static final class StopPrepare extends RpclCommand {
        @Override
        public Integer call() {
            return stop(this, PidFile.Kind.PREPARE);
        }
    }

    @Command(name = "stop_repack", description = "Stop the background repack_tables process of the configuration.")
    static final class StopRepack extends RpclCommand {
        @Override
        public Integer call() {
            return stop(this, PidFile.Kind.REPACK);
        }
    }

    @Command(name = "stop_replay", description = "Stop the background replay_data process of the configuration.")
    static final class StopReplay extends RpclCommand {
        @Override
        public Integer call() {
            return stop(this, PidFile.Kind.REPLAY);
        }
    }
}
