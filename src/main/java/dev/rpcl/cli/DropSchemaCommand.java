package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.db.Database;
import dev.rpcl.engine.HelperSchema;
import picocli.CommandLine.Command;

@Command(name = "drop_schema",
        description = "Drop the helper schemas, with the triggers and copies a failed repack left behind.")
final class DropSchemaCommand extends RpclCommand {

    @Override
    public Integer call() {
        PidFile.anyRunning(config().pidDir(), config().name()).ifPresent(running -> {
            throw RpclException.failed("Refusing to drop the helper schemas: " + running + " of configuration "
                    + config().name() + " is running. Stop it first (rpcl stop_prepare, stop_repack or stop_replay).");
        });
        for (ConnectionConfig c : connections()) {
            try (Database db = new Database(c, 1)) {
                HelperSchema.Outcome outcome = HelperSchema.drop(db);
                out().println(c.name() + ": " + outcome.message());
            }
        }
        return ExitCode.OK;
    }
}
