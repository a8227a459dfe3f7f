package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.Database;
import dev.rpcl.engine.RepackEngine;
import dev.rpcl.engine.RepackOptions;
import dev.rpcl.engine.TableConfCustomizer;
import dev.rpcl.engine.RepackReport;
import dev.rpcl.engine.TableResult;
import java.util.function.Function;

/**
 * prepare_repack and repack_tables around the engine: each selected connection in turn, its
 * summary printed, the notification mailed at the end however the run ends, exit 0 when every
 * table went well, 3 when some were skipped, failed or stopped.
 */
final class EngineRun {
    private EngineRun() {
    }

    /**
     * The engine options for a connection: the one place every command (prepare_repack,
     * repack_tables, replay_data, abort_repack) gets them, so that a replay uses the same table
     * settings as the copy it replays into.
     */
    static RepackOptions options(RpclCommand cmd, ConnectionConfig connection) {
        return RepackOptions.defaults().withCustomizer(new TableConfCustomizer(cmd.tableConf(connection)));
    }

    /** One connection's table_conf against its tables, touching nothing. */
    static void checkTableConfiguration(RpclCommand cmd, ConnectionConfig c, Database db) {
        new RepackEngine(db, options(cmd, c), () -> false).checkTableConfiguration();
    }

    /** Each table that did not go well, one line on standard error: what a cron mail or a script needs to see. */
    private static void problems(RpclCommand cmd, RepackReport report) {
        for (TableResult r : report.tables()) {
            if (!r.ok()) {
                cmd.err().println("rpcl: " + r.status().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.table()
                        + " (connection " + report.connection() + "): " + (r.reason() == null ? "" : r.reason()));
            }
        }
        cmd.err().flush();
    }

    static int run(RpclCommand cmd, String command, StopSignal stop, Function<RepackEngine, RepackReport> action) {
        return run(cmd, command, stop, action, report -> { });
    }

    /** As above; {@code onReport} sees each connection's report. */
    static int run(RpclCommand cmd, String command, StopSignal stop, Function<RepackEngine, RepackReport> action,
                   java.util.function.Consumer<RepackReport> onReport) {
        RunNotice notice = new RunNotice(cmd.config(), command);
        boolean allOk = true;
        java.util.List<Object> reports = new java.util.ArrayList<>();
        try {
            // A mistake in the second connection's table_conf must not be found after the first
            // connection was repacked. The first one's engine checks its own before any work.
            for (ConnectionConfig c : cmd.connections().stream().skip(1).toList()) {
                try (Database db = new Database(c, 1)) {
                    checkTableConfiguration(cmd, c, db);
                }
            }
            for (ConnectionConfig c : cmd.connections()) {
                try (Database db = new Database(c, RepackEngine.POOL_SIZE)) {
                    RepackReport report = action.apply(new RepackEngine(db, options(cmd, c), stop));
                    onReport.accept(report);
                    if (cmd.root.json) {
                        reports.add(JsonOutput.report(report));
                    } else if (!cmd.root.quiet) {
                        ReportTable.print(cmd.out(), report);
                    }
                    cmd.out().flush();
                    problems(cmd, report);
                    notice.add(db, report);
                    allOk &= report.allOk();
                }
            }
        } catch (RuntimeException e) {
            notice.failed(e);
            throw e;
        }
        int code = allOk ? ExitCode.OK : ExitCode.PARTIAL;
        notice.finished(code, stop);
        if (cmd.root.json) {
            var doc = JsonOutput.document(command);
            doc.put("exit_code", code);
            doc.put("stopped", stop.requested());
            doc.put("connections", reports);
            cmd.out().println(JsonOutput.write(doc));
        }
        return code;
    }
}
