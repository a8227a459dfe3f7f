package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.engine.Control;
import dev.rpcl.engine.HelperSchema;
import dev.rpcl.engine.RunStatus;
import dev.rpcl.engine.Sizes;
import dev.rpcl.engine.TableResult;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", description = "Show what rpcl is doing or did in each database: step, progress, backlog, ETA, blockers.")
final class StatusCommand extends RpclCommand {

    @Option(names = "--watch", paramLabel = "SECONDS", description = "Show it again every SECONDS until interrupted.")
    Integer watch;

    /** The change log's rates are measured over this long. */
    static final long SAMPLE_MS = 1000;

    @Override
    protected boolean changesSomething() {
        return false;
    }

    @Override
    public Integer call() {
        while (true) {
            List<Object> docs = new ArrayList<>();
            for (ConnectionConfig c : connections()) {
                try (Database db = new Database(c, 1); Connection conn = db.connect()) {
                    if (!HelperSchema.exists(conn)) {
                        throw RpclException.failed("There are no helper schemas in database " + c.database() + " (connection "
                                + c.name() + "): rpcl has not worked there. Run create_schema first.");
                    }
                    List<RunStatus.Table> tables = RunStatus.read(conn, SAMPLE_MS);
                    List<Control.Request> requests = Control.all(conn);
                    if (root.json) {
                        Map<String, Object> conn1 = json(c, tables);
                        conn1.put("requests", requests.stream().map(r -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("action", r.action());
                            m.put("table", "*.*".equals(r.target()) ? null : r.target());
                            m.put("requested_by", r.requestedBy());
                            m.put("since", r.since());
                            m.put("reason", r.reason());
                            return m;
                        }).toList());
                        docs.add(conn1);
                    } else {
                        print(out(), c, tables);
                        for (Control.Request r : requests) {
                            out().println("  in force: " + r.describe());
                        }
                    }
                } catch (SQLException e) {
                    throw RpclException.failed("Cannot read the status in database " + c.database() + " (connection " + c.name()
                            + "): " + Database.rootMessage(e) + (e.getSQLState() != null && e.getSQLState().equals("42501")
                            ? ". A monitoring role needs: GRANT USAGE ON SCHEMA sch_repcloud TO it; GRANT SELECT ON"
                                    + " sch_repcloud.t_table_repack, sch_repcloud.t_control TO it" : ""), e);
                }
            }
            if (root.json) {
                Map<String, Object> doc = JsonOutput.document("status");
                doc.put("connections", docs);
                out().println(JsonOutput.write(doc));
            }
            out().flush();
            if (watch == null) {
                return ExitCode.OK;
            }
            try {
                Thread.sleep(Math.max(1, watch) * 1000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCode.OK;
            }
        }
    }

    private static void print(PrintWriter out, ConnectionConfig c, List<RunStatus.Table> tables) {
        out.println("Connection " + c.name() + " (database " + c.database() + "), at "
                + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ":");
        if (tables.isEmpty()) {
            out.println("  rpcl has not worked on any table here.");
            return;
        }
        for (RunStatus.Table t : tables) {
            if (!t.inFlight()) {
                String sizes = t.sizeBefore() != null && t.sizeAfter() != null
                        ? ": " + Sizes.human(t.sizeBefore()) + " -> " + Sizes.human(t.sizeAfter()) : "";
                out.println("  " + t.table() + "  " + t.status() + (t.ended() != null ? " at " + t.ended() : "") + sizes
                        + (t.lockHeldMs() != null && "complete".equals(t.status()) ? ", lock held " + t.lockHeldMs() + " ms" : "")
                        + (t.message() != null ? " (" + t.message() + ")" : ""));
                continue;
            }
            out.println("  " + t.table() + "  " + t.status() + ", step " + t.step() + ", started " + t.started() + " ("
                    + t.secondsSinceStart() + " s ago)" + (t.message() != null ? ": " + t.message() : ""));
            out.println("    " + (t.rpclPid() != null ? "rpcl session pid " + t.rpclPid() + ", " + t.rpclState()
                    + (t.rpclBusySeconds() != null ? " for " + t.rpclBusySeconds() + " s" : "")
                    : "no rpcl session works on it now" + ("prepared".equals(t.status())
                            ? ": prepared, waiting for repack_tables (replay_data keeps its log short)"
                            : ": the run stopped or died; repack_tables resumes it, abort_repack cleans it up")));
            if (TableResult.CORE_REPACK.equals(t.engine())) {
                out.println("    REPACK (CONCURRENTLY): " + (t.repackProgress() != null ? t.repackProgress()
                        : "waiting to start (the server runs one REPACK at a time)")
                        + (t.lockAttempts() > 1 ? ", attempt " + t.lockAttempts() : ""));
                for (String holder : t.heldBy()) {
                    out.println("    held by " + holder);
                }
                continue;
            }
            List<String> progress = new ArrayList<>();
            if (t.copyBytes() != null) {
                progress.add("copy " + Sizes.human(t.copyBytes()) + (t.sizeBefore() != null
                        ? " (the table was " + Sizes.human(t.sizeBefore()) + " with its indexes)" : ""));
            }
            if (t.rowsCopied() != null) {
                progress.add(t.rowsCopied() + " rows copied");
            }
            progress.add(t.rowsReplayed() + " log rows replayed");
            if (t.lockAttempts() > 0) {
                progress.add(t.lockAttempts() + " lock attempt(s)");
            }
            out.println("    " + String.join(", ", progress));
            for (String build : t.indexBuilds()) {
                out.println("    building index " + build);
            }
            if (t.backlogRows() != null) {
                Long eta = t.secondsToCatchUp();
                out.println("    change log: " + t.backlogRows() + " rows to replay"
                        + (t.incomingPerSecond() != null ? String.format(Locale.ROOT, ", %.0f/s coming in, %.0f/s replayed",
                                t.incomingPerSecond(), t.replayedPerSecond()) : "")
                        + (eta != null ? ", caught up in about " + eta + " s" : t.incomingPerSecond() != null
                                && t.rpclPid() != null ? ", not gaining on the writes" : ""));
            }
            for (String holder : t.heldBy()) {
                out.println("    held by " + holder);
            }
        }
    }

    private static Map<String, Object> json(ConnectionConfig c, List<RunStatus.Table> tables) {
        Map<String, Object> conn = new LinkedHashMap<>();
        conn.put("connection", c.name());
        conn.put("database", c.database());
        List<Map<String, Object>> list = new ArrayList<>();
        for (RunStatus.Table t : tables) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("table", t.table());
            m.put("status", t.status());
            m.put("engine", t.engine());
            m.put("step", t.step());
            m.put("message", t.message());
            m.put("started", t.started());
            m.put("ended", t.ended());
            m.put("size_before_bytes", t.sizeBefore());
            m.put("size_after_bytes", t.sizeAfter());
            m.put("rows_copied", t.rowsCopied());
            m.put("rows_replayed", t.rowsReplayed());
            m.put("lock_attempts", t.lockAttempts());
            m.put("lock_held_ms", t.lockHeldMs());
            m.put("rpcl_pid", t.rpclPid());
            m.put("rpcl_state", t.rpclState());
            m.put("copy_bytes", t.copyBytes());
            m.put("index_builds", t.indexBuilds());
            m.put("backlog_rows", t.backlogRows());
            m.put("incoming_rows_per_second", t.incomingPerSecond());
            m.put("replayed_rows_per_second", t.replayedPerSecond());
            m.put("seconds_to_catch_up", t.secondsToCatchUp());
            m.put("held_by", t.heldBy());
            m.put("repack_progress", t.repackProgress());
            list.add(m);
        }
        conn.put("tables", list);
        return conn;
    }
}
