package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged table_conf example: copied at first run as repcloud does, and it means what it says. */
class TableConfExampleTest {

    private static byte[] packaged() throws Exception {
        try (InputStream in = TableConfExampleTest.class.getClassLoader().getResourceAsStream("config/config-example_repack.toml")) {
            return in.readAllBytes();
        }
    }

    @Test
    void firstRunCopiesTheExampleIntoTableConf(@TempDir Path dir) throws Exception {
        RpclHome home = new RpclHome(dir.resolve("fresh")).initialise();
        Path copied = home.tableConfDir().resolve("config-example_repack.toml");
        assertTrue(Files.isRegularFile(copied));
        assertEquals(new String(packaged()), Files.readString(copied));
        assertEquals(home.tableConfFile("config-example", "repack"), copied);
    }

    @Test
    void exampleSetsTheDocumentedValuesWithoutWarnings(@TempDir Path dir) {
        RpclHome home = new RpclHome(dir).initialise();
        TableConf conf = TableConf.load(home, "config-example", "repack");
        assertTrue(conf.present());
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
        assertEquals(OptionalInt.of(30), conf.settingsFor("foo", "bar").fillfactor());
        assertEquals(OptionalInt.of(80), conf.settingsFor("foo", "baz").fillfactor());
        assertEquals(OptionalInt.of(100), conf.settingsFor("public", "foobar").fillfactor());
        TableSettings foobar = conf.settingsFor("public", "foobar");
        assertTrue(foobar.rules().get("foo").cleanupNulls());
        assertEquals(List.of("key1", "key2"), foobar.rules().get("bar").removeKeys());
    }

    @Test
    void exampleInTheRepositoryIsThePackagedOne() throws Exception {
        assertEquals(new String(packaged()), Files.readString(Path.of("config-examples/config-example_repack.toml")));
    }
}
