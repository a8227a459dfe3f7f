package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "show_connections", description = "Show the connections of the configuration (passwords hidden).")
final class ShowConnectionsCommand extends RpclCommand {

    @Override
    protected boolean changesSomething() {
        return false;
    }

    @Override
    public Integer call() {
        if (root.json) {
            List<Object> conns = new ArrayList<>();
            for (ConnectionConfig c : connections()) {
                Map<String, Object> conn = new LinkedHashMap<>();
                conn.put("connection", c.name());
                conn.put("parameters", c.describe());
                conns.add(conn);
            }
            Map<String, Object> doc = JsonOutput.document("show_connections");
            doc.put("connections", conns);
            out().println(JsonOutput.write(doc));
            return ExitCode.OK;
        }
        for (ConnectionConfig c : connections()) {
            Map<String, String> rows = new LinkedHashMap<>();
            rows.put("Parameter", "Value");
            rows.putAll(c.describe());
            int width = rows.keySet().stream().mapToInt(String::length).max().orElse(0);
            int valueWidth = rows.values().stream().mapToInt(String::length).max().orElse(0);
            String rule = "+" + "-".repeat(width + 2) + "+" + "-".repeat(valueWidth + 2) + "+";
            String format = "| %-" + width + "s | %-" + valueWidth + "s |%n";
            out().println("Connection " + c.name());
            out().println(rule);
            rows.forEach((k, v) -> {
                out().printf(format, k, v);
                if (k.equals("Parameter")) {
                    out().println(rule);
                }
            });
            out().println(rule);
            out().println();
        }
        return ExitCode.OK;
    }
}
