package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.daemon.Stopper;
import dev.rpcl.db.Database;
import dev.rpcl.engine.RepackEngine;
import dev.rpcl.engine.RepackReport;
import picocli.CommandLine.Command;

/**
 * Stops the configuration's background processes, then drops the triggers, change logs and
 * copies of every prepared, in-progress or failed table and resets their state. Running it
 * again finds nothing to do. It runs in the foreground: it is short, and its output matters.
 */
@Command(name = "abort_repack", description = "Abort prepared or failed repacks: drop triggers, logs and copies, reset their state.")
final class AbortRepackCommand extends RpclCommand {

    @Override
    public Integer call() {
        for (PidFile.Kind kind : PidFile.Kind.values()) {
            Stopper.Outcome outcome = BackgroundMode.stop(this, kind);
            if (outcome.state() != Stopper.State.NOT_RUNNING) {
                out().println(outcome.message());
            }
        }
        boolean allOk = true;
        for (ConnectionConfig c : connections()) {
            try (Database db = new Database(c, RepackEngine.POOL_SIZE)) {
                RepackReport report = new RepackEngine(db, EngineRun.options(this, c), () -> false).abortAll();
                if (report.tables().isEmpty()) {
                    out().println("Connection " + c.name() + ": nothing to abort.");
                } else {
                    ReportTable.print(out(), report);
                }
                allOk &= report.allOk();
            }
        }
        return allOk ? ExitCode.OK : ExitCode.PARTIAL;
    }
}
