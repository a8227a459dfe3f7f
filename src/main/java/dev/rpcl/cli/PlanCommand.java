package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.engine.Plan;
import dev.rpcl.engine.RepackEngine;
import dev.rpcl.engine.Sizes;
import dev.rpcl.engine.TableResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;

@Command(name = "plan", description = "Show what repack_tables would do now, table by table, and what it would cost; change nothing.")
final class PlanCommand extends RpclCommand {

    @Override
    protected boolean changesSomething() {
        return false;
    }

    @Override
    public Integer call() {
        return printPlans(this, false);
    }

    /**
     * plan, and --dry-run of repack_tables and prepare_repack ({@code staging}): each selected
     * connection's plan.
     */
    static int printPlans(RpclCommand cmd, boolean staging) {
        List<Object> plans = new ArrayList<>();
        for (ConnectionConfig c : cmd.connections()) {
            try (Database db = new Database(c, 1)) {
                Plan plan = new RepackEngine(db, EngineRun.options(cmd, c), () -> false).plan(staging);
                if (cmd.root.json) {
                    plans.add(JsonOutput.plan(plan));
                } else {
                    print(cmd.out(), plan);
                    cmd.out().flush();
                }
            }
        }
        if (cmd.root.json) {
            var doc = JsonOutput.document("plan");
            doc.put("connections", plans);
            cmd.out().println(JsonOutput.write(doc));
        }
        return ExitCode.OK;
    }

    private static final String[] HEADER = {"#", "table", "action", "engine", "size", "est. after", "est. gain", "peak extra disk",
        "reason"};

    static void print(PrintWriter out, Plan plan) {
        out.println("Connection " + plan.connection() + " (database " + plan.database() + "): what repack_tables would do now."
                + " Nothing was changed.");
        if (plan.tables().isEmpty()) {
            out.println("  no tables matched the configured schemas and tables.");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        int n = 0;
        long gain = 0;
        long peak = 0;
        for (Plan.Entry e : plan.tables()) {
            boolean works = e.action() == Plan.Action.REPACK || e.action() == Plan.Action.RESUME;
            if (works) {
                gain += Math.max(0, e.gainBytes());
                peak = Math.max(peak, e.peakExtraBytes());
            }
            String reason = e.reason() != null ? e.reason() : e.engineReason() != null && !e.engineReason().startsWith("engine =")
                    ? e.engineReason() : e.key() != null ? "rows identified by its " + e.key() : "";
            rows.add(new String[] {
                    works ? Integer.toString(++n) : "-",
                    e.table(),
                    e.action().name().toLowerCase(Locale.ROOT),
                    e.engine() == null ? "" : TableResult.CORE_REPACK.equals(e.engine()) ? "REPACK (CONCURRENTLY)" : e.engine(),
                    Sizes.human(e.sizeBytes()),
                    works ? Sizes.human(e.afterBytes()) : "",
                    e.gainBytes() < 0 ? "unknown" : Sizes.human(e.gainBytes()) + " (" + percent(e.gainBytes(), e.sizeBytes()) + ")",
                    works ? Sizes.human(e.peakExtraBytes()) : "",
                    reason});
        }
        int[] widths = new int[HEADER.length - 1];
        for (String[] row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < widths.length; i++) {
                line.append(String.format("%-" + widths[i] + "s  ", row[i]));
            }
            line.append(row[HEADER.length - 1]);
            out.println(line.toString().stripTrailing());
            if (r > 0) {
                for (String lock : plan.tables().get(r - 1).lockedBy()) {
                    out.println("       now: " + lock + "; the repack waits for it to create its triggers and to swap");
                }
            }
        }
        long healthy = plan.tables().stream().filter(e -> e.action() == Plan.Action.HEALTHY).count();
        long skipped = plan.tables().stream().filter(e -> e.action() == Plan.Action.SKIP).count();
        out.println("  " + n + " to repack (an estimated " + Sizes.human(gain) + " to gain; at most " + Sizes.human(peak)
                + " of extra disk at a time, for the largest: its copy and indexes"
                + ("minimal".equals(plan.walLevel()) ? "" : ", and as much WAL") + ", plus the change log of its writes), "
                + healthy + " healthy, " + skipped + " skipped.");
        boolean renames = plan.tables().stream().anyMatch(e -> "rpcl".equals(e.engine()));
        if (renames && !plan.oidColumns().isEmpty()) {
            out.println("  A table repacked by rpcl's engine gets a new OID (REPACK keeps it). These columns may hold OIDs of tables and will not follow: "
                    + String.join(", ", plan.oidColumns()) + ".");
        }
    }

    private static String percent(long part, long whole) {
        return whole <= 0 ? "0%" : Math.round(100.0 * part / whole) + "%";
    }
}
