package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "show_connections", description = "Show the connections of the configuration (passwords hidden).")
final class ShowConnectionsCommand extends RpclCommand {

    @Override
    public Integer call() {
        var selected = connections();
        if (selected.isEmpty()) {
            out().println("No connections in " + config().file() + ". Add a [connections.NAME] section; "
                    + home().configDir().resolve("config-example.toml") + " shows one.");
            return ExitCode.OK;
        }
        for (ConnectionConfig c : selected) {
            Map<String, String> params = c.describe();
            int width = params.keySet().stream().mapToInt(String::length).max().orElse(0);
            int valueWidth = params.values().stream().mapToInt(String::length).max().orElse(0);
            String rule = "+" + "-".repeat(width + 2) + "+" + "-".repeat(valueWidth + 2) + "+";
            out().println("Connection: " + c.name());
            out().println(rule);
            params.forEach((k, v) -> out().printf("| %-" + width + "s | %-" + valueWidth + "s |%n", k, v));
            out().println(rule);
            out().println();
        }
        return ExitCode.OK;
    }
}
