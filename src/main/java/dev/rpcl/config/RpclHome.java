package dev.rpcl.config;

import dev.rpcl.RpclException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
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

    private final Path root;

    public RpclHome(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** $REPCLOUD_HOME when set, else ~/.repcloud. */
    public static RpclHome fromEnvironment(Map<String, String> env) {
        String override = env.get(ENV);
        if (override != null && !override.isBlank()) {
            return new RpclHome(Path.of(expandTilde(override)));
        }
        return new RpclHome(Path.of(System.getProperty("user.home"), ".repcloud"));
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

    public static String configBaseName(String configName) {
        return configName.endsWith(".toml") ? configName.substring(0, configName.length() - 5) : configName;
    }

    /** Creates the directories and copies the examples; cheap when everything is in place. */
    public RpclHome initialise() {
        try {
            for (Path dir : new Path[] {root, configDir(), tableConfDir(), logDir(), pidDir()}) {
                createPrivateDirectory(dir);
            }
            copyExample("config/config-example.toml", configDir().resolve("config-example.toml"));
            copyExample("config/config-example_repack.toml", tableConfDir().resolve("config-example_repack.toml"));
        } catch (IOException e) {
            throw RpclException.failed("Cannot prepare the rpcl home directory " + root + ": " + e.getMessage()
                    + ". Check its permissions or set " + ENV + " to a writable directory.", e);
        }
        return this;
    }

    static void createPrivateDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Files.createDirectories(dir);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            LOG.debug("Cannot set POSIX permissions on {}: not a POSIX file system", dir);
        }
    }

    private static void copyExample(String resource, Path target) throws IOException {
        URL url = RpclHome.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("packaged example " + resource + " is missing from the rpcl jar");
        }
        URLConnection connection = url.openConnection();
        long packagedTime = connection.getLastModified();
        byte[] packaged;
        try (InputStream in = connection.getInputStream()) {
            packaged = in.readAllBytes();
        }
        if (Files.exists(target)) {
            boolean sameContent = java.util.Arrays.equals(packaged, Files.readAllBytes(target));
            // repcloud refreshes the example only when the packaged one is newer: a user who
            // edited the example copy more recently keeps their edits.
            if (sameContent || Files.getLastModifiedTime(target).toMillis() >= packagedTime) {
                return;
            }
            LOG.info("Refreshing {} from the newer packaged example", target);
        }
        Files.write(target, packaged);
        if (packagedTime > 0) {
            Files.setLastModifiedTime(target, FileTime.fromMillis(packagedTime));
        }
    }

    /** Expands a leading ~ to the user's home directory. */
    public static String expandTilde(String path) {
        if (path.equals("~")) {
            return System.getProperty("user.home");
        }
        if (path.startsWith("~/")) {
            return System.getProperty("user.home") + path.substring(1);
        }
        return path;
    }
}
