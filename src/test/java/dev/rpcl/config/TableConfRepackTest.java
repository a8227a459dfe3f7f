package dev.rpcl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * table_conf through the real command line: the repacked table has the configured fillfactor,
 * and the JSON rules hold for the rows copied and for the rows replayed while a client writes.
 */
class TableConfRepackTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TableConfRepackTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static final String DIRTY_DOC = "jsonb_build_object('keep', %1$s, 'secret', 's', 'why?', 1, E'back\\\\slash', 2, 'pad', repeat('p', 200))";
    private static final String DIRTY_META = "jsonb_build_object('a', null, 'b', jsonb_build_object('c', null, 'd', %1$s))";
    private static final String DIRTY_LEGACY = "json_build_object('x', null, 'y', %1$s)";

    private void writeTableConf(String toml) throws Exception {
        Path dir = Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(dir.resolve("default_main.toml"), toml);
    }

    @Test
    @Timeout(120)
    void aMistakeInTheSecondConnectionsTableConfStopsTheRunBeforeTheFirstConnectionIsTouched() throws Exception {
        db.execute("CREATE TABLE first_conn (id int PRIMARY KEY, v text)",
                "INSERT INTO first_conn SELECT g, 'v' FROM generate_series(1, 100) g",
                "CREATE TABLE second_conn (id int PRIMARY KEY, body json)");
        Path file = db.writeConfig(home, "default", "main", "tables = ['public.first_conn']\ncheck_time = \"0\"");
        String toml = Files.readString(file);
        // The same database under a second name, with a table_conf of its own.
        String second = toml.substring(toml.indexOf("[connections.main]")).replace("[connections.main]", "[connections.second]")
                .replace("public.first_conn", "public.second_conn");
        Files.writeString(file, toml + "\n" + second);
        Files.createDirectories(home.resolve("config/table_conf"));
        Files.writeString(home.resolve("config/table_conf/default_second.toml"), "[public.second_conn]\nbody.remove_keys = [\"a\"]\n");
        String oid = db.scalar("SELECT 'public.first_conn'::regclass::oid::text");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("remove_keys needs a jsonb column, but body is json"), run::toString);
        assertEquals(oid, db.scalar("SELECT 'public.first_conn'::regclass::oid::text"), "the first connection's table was not repacked");
    }

    @Test
    @Timeout(120)
    void eachFillfactorLevelAppliesAloneAndTheMostSpecificWins() throws Exception {
        db.execute("CREATE SCHEMA ff_a", "CREATE SCHEMA ff_b");
        for (String t : new String[] {"ff_a.plain", "ff_b.by_schema", "ff_b.by_table"}) {
            db.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text)",
                    "INSERT INTO " + t + " SELECT g, md5(g::text) FROM generate_series(1, 500) g");
        }
        db.writeConfig(home, "default", "main", "schemas = ['ff_a', 'ff_b']\ncheck_time = \"0\"");
        writeTableConf("""
                [storage]
                fillfactor = 90
                [storage.ff_b]
                fillfactor = 60
                [storage.ff_b.by_table]
                fillfactor = 40
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(List.of(List.of("ff_a.plain", "{fillfactor=90}"), List.of("ff_b.by_schema", "{fillfactor=60}"),
                        List.of("ff_b.by_table", "{fillfactor=40}")),
                db.query("SELECT c.oid::regclass::text, c.reloptions::text FROM pg_class c"
                        + " WHERE c.relnamespace IN ('ff_a'::regnamespace, 'ff_b'::regnamespace) AND c.relkind = 'r' ORDER BY 1"),
                "[storage] alone, [storage.SCHEMA] over it, [storage.SCHEMA.TABLE] over both");
    }

    @Test
    @Timeout(300)
    void repackGivesTheConfiguredFillfactorAndCleansCopiedAndReplayedRows() throws Exception {
        db.execute("CREATE TABLE docs (id bigint PRIMARY KEY, doc jsonb, meta jsonb, legacy json, note text)",
                "INSERT INTO docs SELECT g, " + DIRTY_DOC.formatted("g") + ", " + DIRTY_META.formatted("g") + ", "
                        + DIRTY_LEGACY.formatted("g") + ", 'n' FROM generate_series(1, 20000) g",
                "DELETE FROM docs WHERE id % 3 = 0");
        db.writeConfig(home, "default", "main", "tables = ['public.docs']\ncheck_time = \"1\"\nlock_timeout = \"200ms\"");
        writeTableConf("""
                [storage]
                fillfactor = 90
                [storage.public.docs]
                fillfactor = 70
                [public.docs]
                doc.remove_keys = ["secret", "why?", 'back\\slash']
                meta.cleanup_nulls = true
                legacy.cleanup_nulls = true
                """);
        CliRun create = CliRun.run(home, "create_schema");
        assertEquals(0, create.exitCode(), create::toString);

        // The writer's own xid for every row it wrote last: a row still carrying it after the
        // repack was written straight into the new table, after the swap; every other row was
        // written by rpcl's copy or replay.
        Map<Long, String> writerXid = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            long next = 1_000_000;
            try (Connection c = db.ownerConnection()) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    long id = next++;
                    long old = ThreadLocalRandom.current().nextLong(1, 20_000);
                    try (Statement st = c.createStatement()) {
                        st.executeUpdate("INSERT INTO docs VALUES (" + id + ", " + DIRTY_DOC.formatted(id) + ", "
                                + DIRTY_META.formatted(id) + ", " + DIRTY_LEGACY.formatted(id) + ", 'w')");
                        st.executeUpdate("UPDATE docs SET doc = " + DIRTY_DOC.formatted(-id) + ", meta = " + DIRTY_META.formatted(-id)
                                + ", legacy = " + DIRTY_LEGACY.formatted(-id) + " WHERE id = " + old);
                        try (ResultSet rs = st.executeQuery("SELECT id, xmin::text FROM docs WHERE id IN (" + id + ", " + old + ")")) {
                            while (rs.next()) {
                                writerXid.put(rs.getLong(1), rs.getString(2));
                            }
                        }
                    }
                    c.commit();
                    Thread.sleep(2);
                }
            } catch (Throwable t) {
                writerError.set(t);
            }
        }, "docs-writer");
        writer.start();
        CliRun run;
        try {
            Thread.sleep(300);
            run = CliRun.run(home, "repack_tables", "--connection", "main");
            Thread.sleep(300);
        } finally {
            stop.set(true);
            writer.join(30_000);
        }
        assertEquals(null, writerError.get(), () -> "the writer failed: " + writerError.get());
        assertEquals(0, run.exitCode(), run::toString);

        assertEquals("{fillfactor=70}", db.scalar("SELECT reloptions::text FROM pg_class WHERE oid = 'public.docs'::regclass"));

        String copyXid = db.scalar("SELECT xmin::text FROM docs WHERE id < 20000 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1");
        long copied = 0;
        long replayed = 0;
        long afterSwap = 0;
        try (Connection c = db.ownerConnection();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT id, xmin::text, doc - 'keep' - 'pad' <> '{}', meta = jsonb_strip_nulls(meta),
                               legacy::text = json_strip_nulls(legacy)::text
                          FROM docs
                        """);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long id = rs.getLong(1);
                String xmin = rs.getString(2);
                if (xmin.equals(writerXid.get(id))) {
                    afterSwap++;
                    continue;
                }
                assertTrue(!rs.getBoolean(3) && rs.getBoolean(4) && rs.getBoolean(5), "row " + id + " written by rpcl is not cleaned");
                if (xmin.equals(copyXid)) {
                    copied++;
                } else {
                    replayed++;
                }
            }
        }
        assertTrue(copied > 10_000, "rows copied: " + copied);
        assertTrue(replayed > 0, "rows replayed (written by the client during the repack): " + replayed);
        assertTrue(afterSwap >= 0);
    }

    @Test
    @Timeout(120)
    void ruleThatCannotApplyStopsTheRepackBeforeAnyTableIsTouched() throws Exception {
        db.execute("CREATE TABLE notes (id int PRIMARY KEY, body json, n text)",
                "INSERT INTO notes SELECT g, '{\"a\": 1}', 'x' FROM generate_series(1, 100) g");
        String oid = db.scalar("SELECT 'public.notes'::regclass::oid::text");
        db.writeConfig(home, "default", "main", "tables = ['public.notes']");
        writeTableConf("""
                [public.notes]
                body.remove_keys = ["a"]
                n.cleanup_nulls = true
                nope.cleanup_nulls = true
                """);
        CliRun create = CliRun.run(home, "create_schema");
        assertEquals(0, create.exitCode(), create::toString);
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("3 problems in the table configuration"), run::toString);
        // From a shell the command would go to the background: the problems must reach the shell, not only the log.
        for (String command : new String[] {"repack_tables", "prepare_repack"}) {
            CliRun detached = CliRun.runAsFromAShell(home, command);
            assertEquals(2, detached.exitCode(), detached::toString);
            assertTrue(detached.err().contains("3 problems in the table configuration"), detached::toString);
            assertFalse(detached.out().contains("process started"), detached::toString);
        }
        assertTrue(run.err().contains("section [public.notes], column body: remove_keys needs a jsonb column, but body is json"), run::toString);
        assertTrue(run.err().contains("column nope: table public.notes has no such column"), run::toString);
        assertEquals(oid, db.scalar("SELECT 'public.notes'::regclass::oid::text"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.notes'::regclass AND tgname LIKE 'z_repcloud%'"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
    }
}
