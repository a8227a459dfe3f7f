package dev.rpcl.cli;

import picocli.CommandLine.Command;

@Command(name = "replay_data", description = "Keep replaying the prepared tables' changes until repack_tables swaps them.")
final class ReplayDataCommand extends RpclCommand {

    @Override
    public Integer call() {
        config();
        throw Rpcl.notBuilt("replay_data");
    }
}
