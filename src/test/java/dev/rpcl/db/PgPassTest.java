package dev.rpcl.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgPassTest {

    @TempDir
    Path dir;

    private Path passFile(String... lines) throws IOException {
        Path file = dir.resolve("pgpass");
        Files.writeString(file, String.join("\n", lines) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String lookup(Map<String, String> env) {
        return PgPass.lookup(env, "db.example.com", 5432, "sales", "repacker");
    }

    @Test
    void firstMatchingLineWinsWithWildcards() throws IOException {
        Path file = passFile(
                "# comment",
                "other.example.com:5432:sales:repacker:wrong-host",
                "db.example.com:6432:sales:repacker:wrong-port",
                "db.example.com:*:sales:repacker:right",
                "*:*:*:*:fallback");
        assertEquals("right", lookup(Map.of("PGPASSFILE", file.toString())));
        assertEquals("fallback", PgPass.lookup(Map.of("PGPASSFILE", file.toString()), "h", 1, "d", "u"));
    }

    @Test
    void backslashEscapesColonsAndTheRestOfTheLineIsThePassword() throws IOException {
        Path file = passFile("db.example.com:5432:sales:repacker:pa\\:ss\\\\word:with:colons");
        assertEquals("pa:ss\\word:with:colons", lookup(Map.of("PGPASSFILE", file.toString())));
        assertEquals(List.of("a:b", "c"), PgPass.fields("a\\:b:c"));
    }

    @Test
    void pgpasswordComesBeforeTheFileUnlessEmpty() throws IOException {
        Path file = passFile("*:*:*:*:from-file");
        assertEquals("from-env", lookup(Map.of("PGPASSWORD", "from-env", "PGPASSFILE", file.toString())));
        assertEquals("from-file", lookup(Map.of("PGPASSWORD", "", "PGPASSFILE", file.toString())));
    }

    @Test
    void defaultFileIsDotPgpassInHome() throws IOException {
        Path file = passFile("*:*:sales:*:from-home");
        Files.move(file, dir.resolve(".pgpass"));
        assertEquals("from-home", lookup(Map.of("HOME", dir.toString())));
    }

    @Test
    void noFileOrNoMatchingLineMeansNoPassword() throws IOException {
        assertNull(lookup(Map.of("PGPASSFILE", dir.resolve("absent").toString())));
        Path file = passFile("db.example.com:5432:other_db:repacker:x");
        assertNull(lookup(Map.of("PGPASSFILE", file.toString())));
    }

    @Test
    void fileThatOthersCanReadIsIgnoredAsLibpqDoes() throws IOException {
        Path file = passFile("*:*:*:*:exposed");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(lookup(Map.of("PGPASSFILE", file.toString())));
    }
}
