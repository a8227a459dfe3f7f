package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.engine.HelperSchema;
import picocli.CommandLine.Command;

@Command(name = "create_schema", description = "Create the helper schemas sch_repcloud, sch_repnew, sch_repdrop.")
final class CreateSchemaCommand extends RpclCommand {

    @Override
    public Integer call() {
        for (ConnectionConfig c : connections()) {
            try (Database db = new Database(c, 1)) {
                HelperSchema.Outcome outcome = HelperSchema.create(db);
                out().println(c.name() + ": " + outcome.message());
            }
        }
        return ExitCode.OK;
    }
}
