package dev.rpcl.cli;

import dev.rpcl.daemon.PidFile;
import dev.rpcl.engine.RepackEngine;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "prepare_repack", description = "Prepare the tables (copy, indexes, catch-up) and stop before the swap.")
final class PrepareRepackCommand extends RpclCommand {
    @Option(names = "--dry-run", description = "Show what would be done, as the plan command does, and change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (dryRun) {
            return PlanCommand.printPlans(this, true);
        }
        OptionalInt launched = BackgroundMode.detach(this, PidFile.Kind.PREPARE, "Prepare repack process started.",
                (c, db) -> EngineRun.checkTableConfiguration(this, c, db), PidFile.Kind.REPLAY);
        if (launched.isPresent()) {
            return launched.getAsInt();
        }
        AtomicBoolean stopped = new AtomicBoolean();
        int code = BackgroundMode.runHere(this, PidFile.Kind.PREPARE, stop -> {
            int c = EngineRun.run(this, PidFile.Kind.PREPARE.command(), stop, RepackEngine::prepareTables);
            stopped.set(stop.requested());
            return c;
        });
        if (root.startReplay && !stopped.get()) {
            // The same process becomes replay_data: it gives up the prepare pid file and takes the replay one.
            out().println("Starting replay_data for the prepared tables (--start-replay).");
            out().flush();
            int replay = ReplayDataCommand.replayHere(this);
            return code != ExitCode.OK ? code : replay;
        }
        return code;
    }
}
