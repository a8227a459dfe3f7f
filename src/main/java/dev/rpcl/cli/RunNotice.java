package dev.rpcl.cli;

import dev.rpcl.config.RpclConfig;
import dev.rpcl.daemon.StopSignal;
import dev.rpcl.db.Database;
import dev.rpcl.engine.RepackReport;
import dev.rpcl.engine.TableResult;
import dev.rpcl.notify.EmailNotifier;
import dev.rpcl.notify.Report;
import dev.rpcl.notify.TableStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Collects what a prepare_repack or repack_tables run did, connection by connection, and mails
 * it when it ends, however it ends, if [notifier] enable_email is set. The tables listed are
 * those of sch_repcloud.t_table_repack with their step and status, plus the ones the run
 * skipped or stopped, which have no state row.
 */
final class RunNotice {
    private final RpclConfig config;
    private final String command;
    private final Instant start = Instant.now();
    private final List<Report.TableLine> lines = new ArrayList<>();
    private final Map<TableResult.Status, Integer> counts = new EnumMap<>(TableResult.Status.class);

    RunNotice(RpclConfig config, String command) {
        this.config = config;
        this.command = command;
    }

    /** Records one connection's report; {@code db} is still open to read the table states. */
    void add(Database db, RepackReport report) {
        if (EmailNotifier.from(config.notifier()).isPresent()) {
            lines.addAll(TableStatus.read(db, start));
        }
        for (TableResult r : report.tables()) {
            counts.merge(r.status(), 1, Integer::sum);
            if (r.status() == TableResult.Status.SKIPPED || r.status() == TableResult.Status.STOPPED) {
                lines.add(new Report.TableLine(report.connection(), r.table(), "-",
                        r.status().name().toLowerCase(Locale.ROOT), r.reason()));
            }
        }
    }

    /** The run ended with {@code exitCode}; mails the report. */
    void finished(int exitCode, StopSignal stop) {
        Report.Outcome outcome = stop.requested() ? Report.Outcome.STOPPED
                : exitCode == ExitCode.OK ? Report.Outcome.COMPLETE : Report.Outcome.COMPLETE_WITH_PROBLEMS;
        send(outcome, summary() + (stop.requested() ? " Stopped: " + stop.reason()
                + ". Run " + command + " again to resume, or abort_repack to clean up." : ""));
    }

    /** The run failed as a whole with {@code error}; mails that too. */
    void failed(RuntimeException error) {
        send(Report.Outcome.FAILED, "Error: " + error.getMessage() + (counts.isEmpty() ? "" : " Before it: " + summary()));
    }

    private String summary() {
        if (counts.isEmpty()) {
            return "No tables were processed.";
        }
        return counts.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ")) + ".";
    }

    private void send(Report.Outcome outcome, String summary) {
        EmailNotifier.from(config.notifier()).ifPresent(n -> n.send(new Report(command, config.name(), outcome, summary,
                lines)));
    }
}
