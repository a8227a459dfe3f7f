package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.engine.RepackEngine;
import dev.rpcl.engine.RepackOptions;
import dev.rpcl.engine.RepackReport;
import picocli.CommandLine.Command;

@Command(name = "repack_tables", description = "Repack the configured tables online (copy, replay, swap).")
final class RepackTablesCommand extends RpclCommand {

    @Override
    public Integer call() {
        boolean allOk = true;
        for (ConnectionConfig c : connections()) {
            try (Database db = new Database(c, RepackEngine.POOL_SIZE)) {
                RepackReport report = new RepackEngine(db, RepackOptions.defaults(), () -> false).repackTables();
                ReportTable.print(out(), report);
                allOk &= report.allOk();
            }
        }
        out().flush();
        return allOk ? ExitCode.OK : ExitCode.PARTIAL;
    }
}
