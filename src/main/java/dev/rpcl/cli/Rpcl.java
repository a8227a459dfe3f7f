package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.logging.LogSetup;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code rpcl COMMAND [--config NAME] [--connection NAME] [--debug] [--start-replay]}: the
 * options are inherited by every command, so they go before or after it, as repcloud allowed.
 */
@Command(name = "rpcl",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Rpcl.Version.class,
        description = "Repacks bloated PostgreSQL tables online, without extensions or superuser.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                ShowConnectionsCommand.class,
                PlanCommand.class,
                StatusCommand.class,
                CreateSchemaCommand.class,
                DropSchemaCommand.class,
                RepackTablesCommand.class,
                PrepareRepackCommand.class,
                AbortRepackCommand.class,
                ReplayDataCommand.class,
                StopCommands.StopPrepare.class,
                StopCommands.StopRepack.class,
                StopCommands.StopReplay.class,
                ControlCommands.Pause.class,
                ControlCommands.Resume.class,
                ControlCommands.PostponeSwap.class,
                ControlCommands.ReleaseSwap.class,
        })
public final class Rpcl implements Runnable {

    @Option(names = "--config", scope = ScopeType.INHERIT, paramLabel = "NAME", defaultValue = "default",
            description = "Configuration in ~/.repcloud/config (NAME or NAME.toml). Default: ${DEFAULT-VALUE}.")
    String config;

    @Option(names = "--connection", scope = ScopeType.INHERIT, paramLabel = "NAME", defaultValue = "all",
            description = "Connection of the configuration to work on. Default: all of them.")
    String connection;

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "Stay in the foreground, log at debug level to the console and the log file, show stack traces.")
    boolean debug;

    @Option(names = "--foreground", scope = ScopeType.INHERIT,
            description = "Stay in the foreground and return the run's exit code (as RPCL_FOREGROUND=1 does): for cron and scripts.")
    boolean foreground;

    @Option(names = "--quiet", scope = ScopeType.INHERIT,
            description = "Print nothing on success; only problems, one line per table on standard error. For cron.")
    boolean quiet;

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print the result as one JSON document (plan, show_connections, repack_tables, prepare_repack;"
                    + " implies --foreground).")
    boolean json;

    @Option(names = "--start-replay", scope = ScopeType.INHERIT,
            description = "prepare_repack only: start replay_data as soon as the preparation is done.")
    boolean startReplay;

    private final Map<String, String> env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public Rpcl(Map<String, String> env) {
        this.env = env;
    }

    Map<String, String> env() {
        return env;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command. Commands: "
                + String.join(", ", spec.subcommands().keySet()) + ".");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv()));
    }

    /** The whole command line, in-process: what main runs and what the CLI tests call. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env) {
        LogSetup.quiet();
        Rpcl root = new Rpcl(env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            reportError(e, root.debug, commandLine.getErr());
            int code = ExitCode.of(e);
            if (root.json) {
                // A script reading standard output gets a document whatever happened.
                var doc = JsonOutput.document(commandLine.getCommandName());
                doc.put("exit_code", code);
                doc.put("error", e instanceof RpclException ? e.getMessage() : String.valueOf(e));
                commandLine.getOut().println(JsonOutput.write(doc));
            }
            return code;
        });
        cl.setParameterExceptionHandler((e, args1) -> {
            PrintWriter w = e.getCommandLine().getErr();
            w.println("rpcl: error: " + friendly(e));
            w.println("Run 'rpcl --help' for the commands and options.");
            w.flush();
            return ExitCode.BAD_INPUT;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String friendly(CommandLine.ParameterException e) {
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && e.getCommandLine().getParent() == null && !u.getUnmatched().get(0).startsWith("-")) {
            String typed = u.getUnmatched().get(0);
            List<String> suggestions = e.getCommandLine().getSubcommands().keySet().stream()
                    .filter(name -> name.startsWith(typed) || distance(name, typed) <= 2).toList();
            return "Unknown command '" + u.getUnmatched().get(0) + "'."
                    + (suggestions.isEmpty() ? "" : " Did you mean " + String.join(" or ", suggestions) + "?")
                    + " Commands: " + String.join(", ", e.getCommandLine().getSubcommands().keySet()) + ".";
        }
        return e.getMessage();
    }

    /** Levenshtein distance, to suggest the command a user mistyped. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(substitution, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] swap = prev;
            prev = cur;
            cur = swap;
        }
        return prev[b.length()];
    }

    /** One line for humans; the stack trace only with --debug. */
    static void reportError(Exception e, boolean debug, PrintWriter err) {
        String message = e instanceof RpclException ? e.getMessage()
                : "Unexpected error: " + e + ". Run again with --debug for details, and report it if it persists.";
        // The log file keeps the trace of anything unexpected, so a report can be made after the fact.
        boolean trace = debug || !(e instanceof RpclException);
        org.slf4j.LoggerFactory.getLogger(LogSetup.FILE_ONLY_LOGGER).error(message, trace ? e : null);
        err.println("rpcl: error: " + message);
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
    }

    /** The project version, written into rpcl-version.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (var in = Rpcl.class.getClassLoader().getResourceAsStream("rpcl-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"rpcl " + p.getProperty("version", "(development build)"),
                    "Java " + System.getProperty("java.version") + ", " + System.getProperty("java.vm.name")};
        }
    }

    static RpclException notBuilt(String command) {
        return RpclException.failed(command + " is not available in this build of rpcl yet.");
    }
}
