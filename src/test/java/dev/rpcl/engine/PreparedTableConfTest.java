package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.config.TableConf;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table prepared with one table_conf and replayed or swapped after the user edited it keeps the
 * rules its copy was made with, so copied and replayed rows are cleaned alike; the run warns that
 * the edit applies at the next repack.
 */
class PreparedTableConfTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(PreparedTableConfTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private void writeTableConf(String toml) throws Exception {
        Path dir = Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(dir.resolve("default_main.toml"), toml);
    }

    private String log() throws Exception {
        return Files.readString(home.resolve("logs/repack_default.log"));
    }

    /** Rows whose doc still holds {@code key}, among those with the given note. */
    private String rowsWith(String key, String note) {
        return db.scalar("SELECT count(*) FROM conf_docs WHERE jsonb_exists(doc, '" + key + "') AND note = '" + note + "'");
    }

    @Test
    @Timeout(120)
    void replayAndSwapAfterTableConfChangedKeepTheRulesOfTheCopyAndWarn() throws Exception {
        db.execute("CREATE TABLE conf_docs (id int PRIMARY KEY, doc jsonb, note text)",
                "INSERT INTO conf_docs SELECT g, jsonb_build_object('secret', g, 'other', g), 'copied'"
                        + " FROM generate_series(1, 1000) g");
        db.writeConfig(home, "default", "main", "tables = ['public.conf_docs']\ncheck_time = \"0\"");
        writeTableConf("""
                [storage.public.conf_docs]
                fillfactor = 80
                [public.conf_docs]
                doc.remove_keys = ["secret"]
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun prepare = CliRun.run(home, "prepare_repack");
        assertEquals(0, prepare.exitCode(), prepare::toString);
        assertEquals("prepared", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack"));

        // The user edits table_conf while the table waits for its swap.
        writeTableConf("""
                [storage.public.conf_docs]
                fillfactor = 60
                [public.conf_docs]
                doc.remove_keys = ["other"]
                """);
        db.execute("UPDATE conf_docs SET note = 'replayed' WHERE id <= 100");
        RpclHome rh = new RpclHome(home).initialise();
        ConnectionConfig cfg = new ConfigLoader(rh).load("default").select("main").get(0);
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackOptions edited = RepackOptions.defaults()
                    .withCustomizer(new TableConfCustomizer(TableConf.load(rh, "default", "main")));
            assertEquals(100, new RepackEngine(database, edited, () -> false).replayPrepared(), "replay_data replays");
        }
        db.execute("UPDATE conf_docs SET note = 'swapped' WHERE id > 900");
        CliRun repack = CliRun.run(home, "repack_tables");
        assertEquals(0, repack.exitCode(), repack::toString);

        for (String note : new String[] {"copied", "replayed", "swapped"}) {
            assertEquals("0", rowsWith("secret", note), note + " rows are cleaned by the rules of the copy");
            assertTrue(Long.parseLong(rowsWith("other", note)) >= 100, note + " rows keep what the edit would remove");
        }
        assertEquals("{fillfactor=80}", db.scalar("SELECT reloptions::text FROM pg_class WHERE oid = 'conf_docs'::regclass"));
        assertTrue(log().contains("public.conf_docs: the table configuration changed since its copy was made (column rules,"
                + " storage options (copy made with [fillfactor=80], now [fillfactor=60])); this repack keeps the settings"
                + " of the copy, the change applies at the next repack"), this::logOrEmpty);
    }

    private String logOrEmpty() {
        try {
            return log();
        } catch (Exception e) {
            return "";
        }
    }
}
