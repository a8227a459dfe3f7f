package dev.rpcl.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the built target/rpcl.jar as a real separate process, as a user's shell would, with
 * REPCLOUD_HOME set: what background mode, signals and kill -9 can only be tested with.
 */
public final class RpclJar {
    private RpclJar() {
    }

    /** Exit code and what the process printed. */
    public record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("rpcl.jar", "target/rpcl.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after package (mvn verify)");
        }
        return jar;
    }

    /** Starts {@code java -jar rpcl.jar args} with its output going to files in {@code home}. */
    public static Process start(Path home, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        try {
            Files.createDirectories(home);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(home.resolve("last.out").toFile())
                    .redirectError(home.resolve("last.err").toFile());
            pb.environment().put("REPCLOUD_HOME", home.toString());
            pb.environment().remove("RPCL_DETACHED");
            pb.environment().remove("RPCL_FOREGROUND");
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs to the end (or fails the test after {@code timeout}). */
    public static Result run(Path home, Duration timeout, String... args) {
        Process p = start(home, args);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("rpcl " + String.join(" ", args) + " did not end within " + timeout
                        + "\n" + output(home));
            }
            return new Result(p.exitValue(), Files.readString(home.resolve("last.out")),
                    Files.readString(home.resolve("last.err")));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String output(Path home) {
        try {
            return Files.readString(home.resolve("last.out")) + Files.readString(home.resolve("last.err"));
        } catch (IOException e) {
            return "";
        }
    }

    /** The rpcl log of the configuration, for failure messages. */
    public static String log(Path home, String config) {
        try {
            Path log = home.resolve("logs").resolve("repack_" + config + ".log");
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(unreadable log: " + e.getMessage() + ")";
        }
    }
}
