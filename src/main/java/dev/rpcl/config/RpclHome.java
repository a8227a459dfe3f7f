package dev.rpcl.config;

import dev.rpcl.RpclException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ~/.repcloud} directory (or {@code $REPCLOUD_HOME}): {@code config/},
 * {@code config/table_conf/}, {@code logs/}, {@code pid/}, created private (0700) at first run,
 * with repcloud's two example files copied in and refreshed when the packaged ones are newer.
 */
public final class RpclHome {
    private static final Logger LOG = LoggerFactory.getLogger(RpclHome.class);
    public static final String ENV = "REPCLOUD_HOME";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Path root;
    private final Path userHome;
    private final List<String> notices = new ArrayList<>();

    public RpclHome(Path root) {
        this(root, userHome(System.getenv()));
    }

    /** {@code userHome} is what a leading ~ in a configured path stands for. */
    public RpclHome(Path root, Path userHome) {
        this.root = root.toAbsolutePath().normalize();
        this.userHome = userHome;
    }

    /** $REPCLOUD_HOME when set, else ~/.repcloud. */
    public static RpclHome fromEnvironment(Map<String, String> env) {
        Path userHome = userHome(env);
        String override = env.get(ENV);
        if (override != null && !override.isBlank()) {
            return new RpclHome(Path.of(expand(override, userHome)), userHome);
        }
        return new RpclHome(userHome.resolve(".repcloud"), userHome);
    }

    /**
     * $HOME, as the shell and repcloud (Python's expanduser) read it; the JVM's user.home comes
     * from the password database and ignores HOME, which would surprise anyone who set it.
     */
    public static Path userHome(Map<String, String> env) {
        String home = env.get("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    public Path root() {
        return root;
    }

    public Path configDir() {
        return root.resolve("config");
    }

    public Path tableConfDir() {
        return configDir().resolve("table_conf");
    }

    public Path logDir() {
        return root.resolve("logs");
    }

    public Path pidDir() {
        return root.resolve("pid");
    }

    /** {@code config/NAME.toml}; NAME may already carry the .toml suffix, as repcloud allowed. */
    public Path configFile(String configName) {
        return configDir().resolve(configBaseName(configName) + ".toml");
    }

    /** {@code config/table_conf/<config>_<connection>.toml}. */
    public Path tableConfFile(String configName, String connection) {
        return tableConfDir().resolve(configBaseName(configName) + "_" + connection + ".toml");
    }

    /**
     * NAME without .toml. The name also names the log and pid files, so it must be a plain
     * file name in the config directory, not a path.
     */
    public static String configBaseName(String configName) {
        String base = configName.endsWith(".toml") ? configName.substring(0, configName.length() - 5) : configName;
        if (base.isBlank() || base.contains("/") || base.contains("\\") || base.startsWith(".")) {
            throw RpclException.badInput("Bad configuration name '" + configName + "': --config takes the name of a"
                    + " file in the rpcl config directory, e.g. --config default for config/default.toml.");
        }
        return base;
    }

    /** A leading ~ in a configured path is the user's home directory. */
    public String expand(String path) {
        return expand(path, userHome);
    }

    private static String expand(String path, Path userHome) {
        if (path.equals("~")) {
            return userHome.toString();
        }
        if (path.startsWith("~/")) {
            return userHome + path.substring(1);
        }
        return path;
    }

    /** Expands a leading ~ to the home directory of the process's environment. */
    public static String expandTilde(String path) {
        return expand(path, userHome(System.getenv()));
    }

    /**
     * Creates the directories and copies the examples; cheap when everything is in place. What
     * it did is in {@link #notices()}, for the command line to tell the user.
     */
    public RpclHome initialise() {
        try {
            boolean fresh = !Files.isDirectory(root);
            if (fresh) {
                notices.add("Created the rpcl home directory " + root + " with config/, config/table_conf/, logs/ and pid/");
            }
            for (Path dir : new Path[] {root, configDir(), tableConfDir(), logDir(), pidDir()}) {
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    makePrivate(dir);
                    if (!fresh) {
                        notices.add("Created the missing directory " + dir);
                    }
                }
            }
            // As repcloud did: the home holds passwords, so it stays private even if someone opened
            // it up. A home that belongs to someone else is used as it is.
            try {
                makePrivate(root);
            } catch (IOException e) {
                LOG.warn("Cannot make {} private (mode 0700): {}", root, e.getMessage());
            }
            copyExample("config/config-example.toml", configDir().resolve("config-example.toml"));
            copyExample("config/config-example_repack.toml", tableConfDir().resolve("config-example_repack.toml"));
        } catch (IOException e) {
            throw RpclException.failed("Cannot prepare the rpcl home directory " + root + ": " + e.getMessage()
                    + ". Check its permissions or set " + ENV + " to a writable directory.", e);
        }
        return this;
    }

    /** What {@link #initialise()} created or refreshed, one sentence each. */
    public List<String> notices() {
        return List.copyOf(notices);
    }

    private static void makePrivate(Path dir) throws IOException {
        try {
            if (!Files.getPosixFilePermissions(dir).equals(PRIVATE)) {
                Files.setPosixFilePermissions(dir, PRIVATE);
            }
        } catch (UnsupportedOperationException e) {
            LOG.debug("Cannot set POSIX permissions on {}: not a POSIX file system", dir);
        }
    }

    private void copyExample(String resource, Path target) throws IOException {
        URL url = RpclHome.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("packaged example " + resource + " is missing from the rpcl jar");
        }
        URLConnection connection = url.openConnection();
        connection.setUseCaches(false);
        long packagedTime = connection.getLastModified();
        byte[] packaged;
        try (InputStream in = connection.getInputStream()) {
            packaged = in.readAllBytes();
        }
        boolean present = Files.exists(target);
        if (present) {
            // As repcloud: the example is refreshed only when the packaged one is newer, so a
            // user who edited their copy more recently keeps the edits.
            if (Arrays.equals(packaged, Files.readAllBytes(target))
                    || Files.getLastModifiedTime(target).toMillis() >= packagedTime) {
                return;
            }
        }
        Files.write(target, packaged);
        if (packagedTime > 0) {
            Files.setLastModifiedTime(target, FileTime.fromMillis(packagedTime));
        }
        notices.add((present ? "Refreshed the example " : "Copied the example ") + target);
        LOG.info("{} {} from the packaged example", present ? "Refreshed" : "Copied", target);
    }
}
