package dev.rpcl.engine;

import java.util.List;

/** The outcome of a command on one connection, table by table, for the CLI to render. */
public record RepackReport(String connection, List<TableResult> tables) {

    public RepackReport {
        tables = List.copyOf(tables);
    }

    /** True when no table was skipped, failed or stopped: exit code 0, else 3. */
    public boolean allOk() {
        return tables.stream().allMatch(TableResult::ok);
    }
}
