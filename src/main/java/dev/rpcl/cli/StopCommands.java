package dev.rpcl.cli;

import picocli.CommandLine.Command;

/** stop_prepare, stop_repack, stop_replay: signal a background process and wait for it to exit. */
final class StopCommands {
    private StopCommands() {
    }

    @Command(name = "stop_prepare", description = "Stop the background prepare_repack process of the configuration.")
    static final class StopPrepare extends RpclCommand {
        @Override
        public Integer call() {
            config();
            throw Rpcl.notBuilt("stop_prepare");
        }
    }

    @Command(name = "stop_repack", description = "Stop the background repack_tables process of the configuration.")
    static final class StopRepack extends RpclCommand {
        @Override
        public Integer call() {
            config();
            throw Rpcl.notBuilt("stop_repack");
        }
    }

    @Command(name = "stop_replay", description = "Stop the background replay_data process of the configuration.")
    static final class StopReplay extends RpclCommand {
        @Override
        public Integer call() {
            config();
            throw Rpcl.notBuilt("stop_replay");
        }
    }
}
