package dev.rpcl.cli;

import dev.rpcl.daemon.PidFile;
import dev.rpcl.engine.RepackEngine;
import java.util.OptionalInt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "repack_tables", description = "Repack the configured tables online (copy, replay, swap).")
final class RepackTablesCommand extends RpclCommand {
    @Option(names = "--dry-run", description = "Show what would be done, as the plan command does, and change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (dryRun) {
            return PlanCommand.printPlans(this, false);
        }
        OptionalInt launched = BackgroundMode.detach(this, PidFile.Kind.REPACK, "Repack tables process started.",
                (c, db) -> EngineRun.checkTableConfiguration(this, c, db), PidFile.Kind.REPLAY);
        return launched.isPresent() ? launched.getAsInt() : BackgroundMode.runHere(this, PidFile.Kind.REPACK,
                stop -> EngineRun.run(this, PidFile.Kind.REPACK.command(), stop, RepackEngine::repackTables));
    }
}
