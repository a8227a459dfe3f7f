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
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("REPCLOUD_HOME", home.toString());
        // In-process runs stay in the foreground; background mode is tested on the real jar (*IT).
        env.put("RPCL_FOREGROUND", "1");
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
