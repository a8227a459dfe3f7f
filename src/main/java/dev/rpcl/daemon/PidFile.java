package dev.rpcl.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code <pid_dir>/<kind>_<config>.pid}, as repcloud named them. A pid file whose process is gone
 * is stale and is treated as absent.
 */
public final class PidFile {

    /** The three background processes, named as in repcloud's pid files. */
    public enum Kind {
        PREPARE("prepare", "prepare_repack"), REPACK("repack", "repack_tables"), REPLAY("replay", "replay_data");

        private final String prefix;
        private final String command;

        Kind(String prefix, String command) {
            this.prefix = prefix;
            this.command = command;
        }

        public String prefix() {
            return prefix;
        }

        public String command() {
            return command;
        }
    }

    private final Path path;

    public PidFile(Path pidDir, Kind kind, String configName) {
        this.path = pidDir.resolve(kind.prefix() + "_" + configName + ".pid");
    }

    public Path path() {
        return path;
    }

    /** The pid of the live process this file names, if there is one. */
    public Optional<Long> livePid() {
        try {
            if (!Files.isRegularFile(path)) {
                return Optional.empty();
            }
            String text = Files.readString(path).trim();
            if (!text.matches("\\d{1,18}")) {
                return Optional.empty();
            }
            long pid = Long.parseLong(text);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException e) {
            return Optional.empty();
        }
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
}
