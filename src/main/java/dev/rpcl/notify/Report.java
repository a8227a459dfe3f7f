package dev.rpcl.notify;

import java.util.List;
import java.util.Locale;

/**
 * What a notification says about one prepare_repack or repack_tables run: how it ended and the
 * tables with their step and status, as sch_repcloud.t_table_repack records them.
 */
public record Report(String command, String configName, Outcome outcome, String summary, List<TableLine> tables) {

    /** How the run ended. */
    public enum Outcome {
        COMPLETE("complete"),
        /** Finished, but some tables were skipped or failed. */
        COMPLETE_WITH_PROBLEMS("complete, with tables skipped or failed"),
        /** Stopped by stop_* or a signal at a safe point; running the command again resumes. */
        STOPPED("stopped"),
        FAILED("failed");

        private final String words;

        Outcome(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /** One table: connection, schema.table, step, status and the message, if any. */
    public record TableLine(String connection, String table, String step, String status, String message) {
    }

    public Report {
        tables = List.copyOf(tables);
    }

    /** repcloud's subjects were "Repack tables complete" and "Prepare repack complete"; they stay the prefix. */
    public String subject() {
        String title = switch (command) {
            case "repack_tables" -> "Repack tables";
            case "prepare_repack" -> "Prepare repack";
            default -> command;
        };
        return title + " " + outcome.words() + " - configuration " + configName;
    }

    /** Plain text: the summary, then one aligned line per table. */
    public String body() {
        StringBuilder b = new StringBuilder();
        b.append("rpcl ").append(command).append(" for configuration ").append(configName).append(" ")
                .append(outcome.words()).append(".\n");
        if (summary != null && !summary.isBlank()) {
            b.append(summary.strip()).append('\n');
        }
        b.append('\n');
        if (tables.isEmpty()) {
            b.append("No tables were processed.\n");
            return b.toString();
        }
        String[] head = {"connection", "table", "step", "status", "message"};
        int[] w = new int[4];
        for (int i = 0; i < 4; i++) {
            w[i] = head[i].length();
        }
        for (TableLine t : tables) {
            w[0] = Math.max(w[0], t.connection().length());
            w[1] = Math.max(w[1], t.table().length());
            w[2] = Math.max(w[2], String.valueOf(t.step()).length());
            w[3] = Math.max(w[3], String.valueOf(t.status()).length());
        }
        String format = "%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %-" + w[3] + "s  %s%n";
        b.append(String.format(Locale.ROOT, format, (Object[]) head));
        for (TableLine t : tables) {
            b.append(String.format(Locale.ROOT, format, t.connection(), t.table(), t.step(), t.status(),
                    t.message() == null ? "" : t.message().replace('\n', ' ')));
        }
        return b.toString();
    }
}
