package dev.rpcl.cli;

import picocli.CommandLine.Command;

@Command(name = "abort_repack", description = "Abort prepared or failed repacks: drop triggers, logs and copies, reset their state.")
final class AbortRepackCommand extends RpclCommand {

    @Override
    public Integer call() {
        config();
        throw Rpcl.notBuilt("abort_repack");
    }
}
