package dev.rpcl.cli;

import dev.rpcl.engine.RepackReport;
import dev.rpcl.engine.Sizes;
import dev.rpcl.engine.TableResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link RepackReport} as the summary table repack_tables and prepare_repack print. */
final class ReportTable {
    private static final String[] HEADER = {"table", "status", "size before", "size after", "rows", "lock held", "reason"};

    private ReportTable() {
    }

    static void print(PrintWriter out, RepackReport report) {
        out.println("Connection " + report.connection() + ":");
        if (report.tables().isEmpty()) {
            out.println("  no tables matched the configured schemas and tables.");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (TableResult r : report.tables()) {
            boolean core = TableResult.CORE_REPACK.equals(r.engine());
            boolean copied = !core && (r.status() == TableResult.Status.REPACKED || r.status() == TableResult.Status.PREPARED);
            rows.add(new String[] {
                    r.table(),
                    r.status().name().toLowerCase(java.util.Locale.ROOT),
                    r.sizeBefore() > 0 ? Sizes.human(r.sizeBefore()) : "",
                    r.sizeAfter() > 0 ? Sizes.human(r.sizeAfter()) : "",
                    copied ? Long.toString(r.rowsCopied()) : "",
                    r.status() != TableResult.Status.REPACKED ? "" : core ? "by REPACK" : r.lockHeldMs() + " ms",
                    r.reason() == null ? "" : r.reason()});
        }
        int[] widths = new int[HEADER.length - 1];
        for (String[] row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int i = 0; i < widths.length; i++) {
                line.append(String.format("%-" + widths[i] + "s  ", row[i]));
            }
            line.append(row[HEADER.length - 1]);
            out.println(line.toString().stripTrailing());
        }
        long repacked = report.tables().stream().filter(r -> r.status() == TableResult.Status.REPACKED).count();
        long healthy = report.tables().stream().filter(r -> r.status() == TableResult.Status.HEALTHY).count();
        long other = report.tables().size() - report.tables().stream().filter(TableResult::ok).count();
        out.println("  " + repacked + " repacked, " + (healthy > 0 ? healthy + " healthy (not worth repacking), " : "")
                + other + " skipped, failed or stopped.");
    }
}
