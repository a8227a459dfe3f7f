package dev.rpcl.cli;

import picocli.CommandLine.Command;

@Command(name = "repack_tables", description = "Repack the configured tables online (copy, replay, swap).")
final class RepackTablesCommand extends RpclCommand {

    @Override
    public Integer call() {
        config();
        throw Rpcl.notBuilt("repack_tables");
    }
}
