package dev.rpcl.daemon;

import dev.rpcl.RpclException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <pid_dir>/<kind>_<config>.pid}, as repcloud named them: the decimal pid and a newline.
 * The process that does the work writes and owns it ({@link #claim()}), and deletes it when it
 * ends. A file whose process is gone, or whose pid now belongs to a process started after the
 * file was written (pid reuse after a kill -9), is stale and treated as absent.
 */
public final class PidFile {
    private static final Logger LOG = LoggerFactory.getLogger(PidFile.class);

    /**
     * A process may have started a moment before it wrote its pid file; a process started longer
     * than this after the file was written cannot be the one that wrote it.
     */
    private static final Duration START_SLACK = Duration.ofSeconds(2);

    /** The three background processes, named as in repcloud's pid files. */
    public enum Kind {
        PREPARE("prepare", "prepare_repack", "stop_prepare"),
        REPACK("repack", "repack_tables", "stop_repack"),
        REPLAY("replay", "replay_data", "stop_replay");

        private final String prefix;
        private final String command;
        private final String stopCommand;

        Kind(String prefix, String command, String stopCommand) {
            this.prefix = prefix;
            this.command = command;
            this.stopCommand = stopCommand;
        }

        public String prefix() {
            return prefix;
        }

        public String command() {
            return command;
        }

        public String stopCommand() {
            return stopCommand;
        }
    }

    private final Path path;
    private final Kind kind;
    private final String configName;

    public PidFile(Path pidDir, Kind kind, String configName) {
        this.path = pidDir.resolve(kind.prefix() + "_" + configName + ".pid");
        this.kind = kind;
        this.configName = configName;
    }

    public Path path() {
        return path;
    }

    public Kind kind() {
        return kind;
    }

    public String configName() {
        return configName;
    }

    /** The pid of the live process this file names, if there is one. */
    public Optional<Long> livePid() {
        try {
            if (!Files.isRegularFile(path)) {
                return Optional.empty();
            }
            Instant written = Files.getLastModifiedTime(path).toInstant();
            return parse(Files.readString(path))
                    .flatMap(ProcessHandle::of)
                    .filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().startInstant().map(s -> !s.isAfter(written.plus(START_SLACK))).orElse(true))
                    .map(ProcessHandle::pid);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** True when the file exists but names no live process. */
    public boolean isStale() {
        return Files.isRegularFile(path) && livePid().isEmpty();
    }

    private static Optional<Long> parse(String text) {
        String t = text.trim();
        return t.matches("\\d{1,18}") ? Optional.of(Long.parseLong(t)) : Optional.empty();
    }

    /** The file a claim locks while it reads and writes the pid file, so that two starts take turns. */
    Path lockPath() {
        return path.resolveSibling("." + path.getFileName() + ".lock");
    }

    /**
     * Writes this process's pid into the file, replacing a stale one, or fails when a live process
     * already owns it. A lock file makes check-and-write atomic between two starting processes.
     */
    public Claim claim() {
        long self = ProcessHandle.current().pid();
        try {
            Files.createDirectories(path.getParent());
            synchronized (PidFile.class) {
                try (FileChannel ch = FileChannel.open(lockPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock ignored = ch.lock()) {
                    Optional<Long> owner = livePid();
                    if (owner.isPresent() && owner.get() != self) {
                        throw alreadyRunning(owner.get());
                    }
                    if (isStale()) {
                        LOG.warn("Replacing stale pid file {} (its process {} is gone)", path, Files.readString(path).trim());
                    }
                    Path tmp = path.resolveSibling("." + path.getFileName() + "." + self + ".tmp");
                    Files.writeString(tmp, self + "\n");
                    try {
                        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw RpclException.failed("Cannot write the pid file " + path + ": " + e.getMessage()
                    + ". Check pid_dir in the configuration and its permissions.", e);
        }
        LOG.debug("Wrote pid file {} ({})", path, self);
        return new Claim(this, self);
    }

    /** The error a second start of the same process gets. */
    public RpclException alreadyRunning(long pid) {
        return RpclException.failed(kind.command() + " of configuration " + configName + " is already running (pid "
                + pid + ", pid file " + path + "). Wait for it to end, or stop it with: rpcl " + kind.stopCommand()
                + " --config " + configName);
    }

    /** Deletes the file if it still names {@code pid}; another process's file is left alone. */
    boolean deleteIfOwnedBy(long pid) {
        try {
            if (Files.isRegularFile(path) && parse(Files.readString(path)).filter(p -> p == pid).isPresent()) {
                Files.deleteIfExists(path);
                return true;
            }
        } catch (IOException e) {
            LOG.warn("Cannot remove pid file {}: {}", path, e.getMessage());
        }
        return false;
    }

    /** Removes a stale file, e.g. one left by a process killed with kill -9. */
    public boolean removeIfStale() {
        try {
            if (isStale()) {
                Files.deleteIfExists(path);
                LOG.info("Removed stale pid file {}", path);
                return true;
            }
        } catch (IOException e) {
            LOG.warn("Cannot remove stale pid file {}: {}", path, e.getMessage());
        }
        return false;
    }

    /** The first live rpcl background process of the config, if any. */
    public static Optional<String> anyRunning(Path pidDir, String configName) {
        for (Kind kind : Kind.values()) {
            Optional<Long> pid = new PidFile(pidDir, kind, configName).livePid();
            if (pid.isPresent()) {
                return Optional.of(kind.command() + " (pid " + pid.get() + ")");
            }
        }
        return Optional.empty();
    }

    /** This process's ownership of the pid file; closing it deletes the file. */
    public static final class Claim implements AutoCloseable {
        private final PidFile file;
        private final long pid;

        private Claim(PidFile file, long pid) {
            this.file = file;
            this.pid = pid;
        }

        public PidFile file() {
            return file;
        }

        public long pid() {
            return pid;
        }

        @Override
        public void close() {
            if (file.deleteIfOwnedBy(pid)) {
                LOG.debug("Removed pid file {}", file.path());
            }
        }
    }
}
