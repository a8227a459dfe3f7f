package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RpclHomeTest {

    @TempDir
    Path dir;

    private static byte[] packaged(String resource) throws IOException {
        try (InputStream in = RpclHome.class.getClassLoader().getResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void firstRunCreatesPrivateDirectoriesAndCopiesBothExamples() throws IOException {
        RpclHome home = new RpclHome(dir.resolve("rc")).initialise();
        for (Path d : List.of(home.root(), home.configDir(), home.tableConfDir(), home.logDir(), home.pidDir())) {
            assertEquals("rwx------", perms(d), d.toString());
        }
        assertEquals(home.root().resolve("config/table_conf"), home.tableConfDir());
        assertArrayEquals(packaged("config/config-example.toml"),
                Files.readAllBytes(home.configDir().resolve("config-example.toml")));
        assertArrayEquals(packaged("config/config-example_repack.toml"),
                Files.readAllBytes(home.tableConfDir().resolve("config-example_repack.toml")));
        assertEquals(3, home.notices().size(), home.notices().toString());
        assertTrue(home.notices().get(0).startsWith("Created the rpcl home directory " + home.root()), home.notices().toString());
    }

    @Test
    void laterRunsChangeNothingAndSayNothing() throws IOException {
        new RpclHome(dir.resolve("rc")).initialise();
        RpclHome again = new RpclHome(dir.resolve("rc")).initialise();
        assertEquals(List.of(), again.notices());
    }

    @Test
    void anExistingHomeIsMadePrivateAndCompleted() throws IOException {
        Path root = Files.createDirectories(dir.resolve("rc"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        RpclHome home = new RpclHome(root).initialise();
        assertEquals("rwx------", perms(root));
        assertTrue(Files.isDirectory(home.pidDir()));
        assertTrue(home.notices().contains("Created the missing directory " + home.pidDir()), home.notices().toString());
    }

    @Test
    void exampleIsRefreshedWhenThePackagedOneIsNewer() throws IOException {
        RpclHome home = new RpclHome(dir.resolve("rc")).initialise();
        Path example = home.configDir().resolve("config-example.toml");
        Files.writeString(example, "# an example from an older rpcl\n");
        Files.setLastModifiedTime(example, FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        RpclHome again = new RpclHome(dir.resolve("rc")).initialise();
        assertArrayEquals(packaged("config/config-example.toml"), Files.readAllBytes(example));
        assertEquals(List.of("Refreshed the example " + example), again.notices());
    }

    @Test
    void exampleEditedAfterThePackagedOneIsKept() throws IOException {
        RpclHome home = new RpclHome(dir.resolve("rc")).initialise();
        Path example = home.tableConfDir().resolve("config-example_repack.toml");
        Files.writeString(example, "# my own notes\n");
        Files.setLastModifiedTime(example, FileTime.from(Instant.now().plus(1, ChronoUnit.HOURS)));
        new RpclHome(dir.resolve("rc")).initialise();
        assertEquals("# my own notes\n", Files.readString(example));
    }

    @Test
    void repcloudHomeVariableReplacesTheDefaultAndHomeIsTheUsersHome() {
        RpclHome overridden = RpclHome.fromEnvironment(Map.of("REPCLOUD_HOME", dir.resolve("x").toString(), "HOME", "/nowhere"));
        assertEquals(dir.resolve("x"), overridden.root());
        RpclHome byHome = RpclHome.fromEnvironment(Map.of("HOME", dir.toString()));
        assertEquals(dir.resolve(".repcloud"), byHome.root());
        assertEquals(dir + "/logs", byHome.expand("~/logs"));
        RpclHome tilde = RpclHome.fromEnvironment(Map.of("REPCLOUD_HOME", "~/rc", "HOME", dir.toString()));
        assertEquals(dir.resolve("rc"), tilde.root());
    }

    @Test
    void configNamesMayCarryTomlButNeverAPath() {
        RpclHome home = new RpclHome(dir);
        assertEquals(dir.resolve("config/nightly.toml"), home.configFile("nightly"));
        assertEquals(dir.resolve("config/nightly.toml"), home.configFile("nightly.toml"));
        assertEquals(dir.resolve("config/table_conf/nightly_main.toml"), home.tableConfFile("nightly.toml", "main"));
        for (String bad : List.of("../x", "/etc/x.toml", "", ".toml", ".hidden")) {
            RpclException e = assertThrows(RpclException.class, () -> home.configFile(bad), bad);
            assertEquals(RpclException.Kind.BAD_INPUT, e.kind());
        }
    }
}
