package dev.rpcl.cli;

import dev.rpcl.daemon.Background;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.engine.RepackEngine;
import dev.rpcl.engine.TableResult;
import dev.rpcl.logging.LogSetup;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
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
        if (launched.isPresent()) {
            return launched.getAsInt();
        }
        AtomicBoolean leftPrepared = new AtomicBoolean();
        AtomicBoolean stopped = new AtomicBoolean();
        int code = BackgroundMode.runHere(this, PidFile.Kind.REPACK, stop -> {
            int c = EngineRun.run(this, PidFile.Kind.REPACK.command(), stop, RepackEngine::repackTables,
                    report -> leftPrepared.compareAndSet(false, report.tables().stream()
                            .anyMatch(t -> t.status() == TableResult.Status.LEFT_PREPARED)));
            stopped.set(stop.requested());
            return c;
        });
        if (leftPrepared.get() && !stopped.get()) {
            startReplay();
        }
        return code;
    }

    /**
     * on_swap_timeout = keep_prepared left tables prepared, their triggers logging: replay_data
     * keeps their logs short until the next repack_tables, so that they are never left with
     * triggers and no process. One already running is enough.
     */
    private void startReplay() {
        PidFile replay = new PidFile(config().pidDir(), PidFile.Kind.REPLAY, config().name());
        if (replay.livePid().isPresent()) {
            out().println("replay_data already runs (pid " + replay.livePid().get() + "); it replays the tables left prepared.");
            return;
        }
        Background.Started started = Background.launch(replay, LogSetup.logFile(config().logging(), config().name()),
                List.of("replay_data", "--config", config().name()), root.env(), Rpcl.class.getName());
        out().println("Started replay_data (pid " + started.pid() + ") for the tables left prepared; the next repack_tables"
                + " swaps them, rpcl stop_replay stops it.");
        out().flush();
    }
}
