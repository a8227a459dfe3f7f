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

    private static final java.util.regex.Pattern STARTED_PID = java.util.regex.Pattern.compile("pid (\\d+),");

    /** Runs a command that goes to the background and returns the pid it printed; fails the test otherwise. */
    public static long startInBackground(Path home, Duration timeout, String... args) {
        return pidOf(run(home, timeout, args));
    }

    /** The pid a command that went to the background printed; fails the test when it did not start. */
    public static long pidOf(Result started) {
        java.util.regex.Matcher m = STARTED_PID.matcher(started.out());
        if (started.exitCode() != 0 || !m.find()) {
            throw new AssertionError("rpcl did not start in the background\n" + started);
        }
        return Long.parseLong(m.group(1));
    }

    /** Waits until the process has ended; fails the test, with the log, after {@code seconds}. */
    public static void awaitExit(Path home, long pid, int seconds) throws InterruptedException {
        if (!Twins.await(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), seconds)) {
            throw new AssertionError("process " + pid + " did not end\n" + log(home, "default"));
        }
    }

    /** After each test: no rpcl process of the test's home outlives it. */
    public static void killLeftovers(Path home) {
        for (dev.rpcl.daemon.PidFile.Kind kind : dev.rpcl.daemon.PidFile.Kind.values()) {
            new dev.rpcl.daemon.PidFile(home.resolve("pid"), kind, "default").livePid().flatMap(ProcessHandle::of)
                    .ifPresent(ProcessHandle::destroyForcibly);
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
