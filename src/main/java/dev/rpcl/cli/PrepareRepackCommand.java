package dev.rpcl.cli;

import picocli.CommandLine.Command;

@Command(name = "prepare_repack", description = "Prepare the tables (copy, indexes, catch-up) and stop before the swap.")
final class PrepareRepackCommand extends RpclCommand {

    @Override
    public Integer call() {
        config();
        throw Rpcl.notBuilt("prepare_repack");
    }
}
