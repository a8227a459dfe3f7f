package dev.rpcl.daemon;

import dev.rpcl.RpclException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends prepare_repack, repack_tables and replay_data to the background, as repcloud did. Java
 * cannot fork, so the same program is started again with the same arguments and a marker in its
 * environment, in a new session (setsid) so that the hang-up of the shell that started it does
 * not reach it, with no terminal: stdin from /dev/null, stdout and stderr appended to the log.
 * The child writes and owns its pid file; the parent waits until it appears, or until the child
 * dies, and then reports what the child said.
 */
public final class Background {
    private static final Logger LOG = LoggerFactory.getLogger(Background.class);

    /** Set in the detached child's environment; its value is the pid file kind's prefix. */
    public static final String CHILD_ENV = "RPCL_DETACHED";

    /**
     * RPCL_FOREGROUND=1 keeps the processes in the foreground while they log as [logging] says:
     * for a supervisor (systemd, a container) that wants its service not to fork, and for tests
     * that run the command line in-process.
     */
    public static final String FOREGROUND_ENV = "RPCL_FOREGROUND";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String ERROR_PREFIX = "rpcl: error: ";

    /** A started background process. {@code finished} when it had already ended successfully. */
    public record Started(PidFile.Kind kind, long pid, Path pidFile, Path logFile, boolean finished) {
    }

    private Background() {
    }

    /** True in the process that {@link #launch} started. */
    public static boolean isDetachedChild(Map<String, String> env) {
        return env.containsKey(CHILD_ENV);
    }

    /**
     * repcloud's rule: without --debug and with log_dest = file the process goes to the
     * background; the detached child itself of course stays where it is, and RPCL_FOREGROUND=1
     * keeps it here too.
     */
    public static boolean staysInForeground(boolean debug, boolean logToConsole, Map<String, String> env) {
        return debug || logToConsole || isDetachedChild(env) || "1".equals(env.get(FOREGROUND_ENV));
    }

    /**
     * Starts {@code mainClass args} detached, and returns once it has written {@code pidFile}.
     * Fails at once when a live process already owns the pid file.
     */
    public static Started launch(PidFile pidFile, Path logFile, List<String> args, Map<String, String> env,
            String mainClass) {
        pidFile.livePid().ifPresent(pid -> {
            throw pidFile.alreadyRunning(pid);
        });
        List<String> command = command(mainClass, args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().put(CHILD_ENV, pidFile.kind().prefix());
        pb.environment().remove(FOREGROUND_ENV);
        long logStart = size(logFile);
        Process child;
        try {
            Files.createDirectories(logFile.getParent());
            child = pb.start();
        } catch (IOException e) {
            throw RpclException.failed("Cannot start " + pidFile.kind().command() + " in the background: "
                    + e.getMessage() + ". Run it in the foreground with --debug to see more.", e);
        }
        LOG.info("Started {} in the background as pid {}: {}", pidFile.kind().command(), child.pid(),
                String.join(" ", command));
        return awaitStart(pidFile, logFile, child, logStart);
    }

    private static Started awaitStart(PidFile pidFile, Path logFile, Process child, long logStart) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> owner = pidFile.livePid();
            if (owner.isPresent() && (owner.get() == child.pid()
                    || child.descendants().anyMatch(d -> d.pid() == owner.get()))) {
                return new Started(pidFile.kind(), owner.get(), pidFile.path(), logFile, false);
            }
            if (!child.isAlive()) {
                int code = child.exitValue();
                if (code == 0) {
                    return new Started(pidFile.kind(), child.pid(), pidFile.path(), logFile, true);
                }
                String said = errorsSince(logFile, logStart);
                throw RpclException.failed(pidFile.kind().command() + " ended as soon as it started (exit code " + code
                        + ")" + (said.isEmpty() ? "" : ": " + said) + " See " + logFile + ".");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw RpclException.failed("Interrupted while waiting for " + pidFile.kind().command() + " (pid "
                        + child.pid() + ") to start; it may still be running. See " + logFile + ".");
            }
        }
        throw RpclException.failed(pidFile.kind().command() + " (pid " + child.pid() + ") did not write its pid file "
                + pidFile.path() + " within " + START_TIMEOUT.toSeconds() + " s; it may still be starting. See "
                + logFile + ", and stop it with: rpcl " + pidFile.kind().stopCommand() + " --config "
                + pidFile.configName());
    }

    /** [setsid] java [memory and -D options of this JVM] -cp CLASSPATH mainClass args. */
    static List<String> command(String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        which("setsid").or(() -> which("nohup")).ifPresent(p -> cmd.add(p.toString()));
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String opt : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // Memory and system properties carry over; debugger and agent options would clash.
            if (opt.startsWith("-Xm") || opt.startsWith("-Xss") || opt.startsWith("-XX:") || opt.startsWith("-D")) {
                cmd.add(opt);
            }
        }
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    private static String classPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(s -> !s.isEmpty())
                .map(s -> Path.of(s).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    static Optional<Path> which(String program) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The "rpcl: error: ..." lines the child wrote to the log since it started. */
    static String errorsSince(Path logFile, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = f.length();
            long from = Math.max(offset, length - 64 * 1024);
            byte[] tail = new byte[(int) (length - from)];
            f.seek(from);
            f.readFully(tail);
            return new String(tail, StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith(ERROR_PREFIX))
                    .map(l -> l.substring(ERROR_PREFIX.length()).trim())
                    .collect(Collectors.joining(" "));
        } catch (IOException e) {
            return "";
        }
    }
}
