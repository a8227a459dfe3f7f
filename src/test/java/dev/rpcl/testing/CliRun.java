package dev.rpcl.testing;

import dev.rpcl.cli.Rpcl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the real rpcl command line in-process with REPCLOUD_HOME set, capturing what it prints. */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun run(Path home, String... args) {
        return run(home, true, args);
    }

    /**
     * As a shell runs it: prepare_repack, repack_tables and replay_data go to the background once
     * their checks pass. For the checks only: what runs in the background is tested on the real
     * jar (*IT).
     */
    public static CliRun runAsFromAShell(Path home, String... args) {
        return run(home, false, args);
    }

    private static CliRun run(Path home, boolean foreground, String... args) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("REPCLOUD_HOME", home.toString());
        env.remove("RPCL_FOREGROUND");
        if (foreground) {
            env.put("RPCL_FOREGROUND", "1");
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Rpcl.run(args, new PrintWriter(out), new PrintWriter(err), env);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
