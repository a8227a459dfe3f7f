package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * rpcl status, from another shell while a run goes on and after it: each table's step, the rpcl
 * session at work, the change log's backlog, the sessions that hold a blocked swap up, the
 * outcome of finished tables; in text and JSON, for a role that may only read rpcl's state.
 */
@Timeout(120)
class StatusTest {
    TestDatabase db;
    String monitor;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(StatusTest.class);
        monitor = db.name() + "_monitor";
        db.executeAsAdmin("DROP ROLE IF EXISTS " + monitor, "CREATE ROLE " + monitor + " LOGIN PASSWORD 'monitor'");
        db.execute("CREATE TABLE public.orders (id int PRIMARY KEY, v text)",
                "INSERT INTO public.orders SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                "DELETE FROM public.orders WHERE id % 3 = 0");
        db.writeConfig(home, "default", "main", "tables = ['public.orders']\ncheck_time = \"0\"\nlock_timeout = \"400ms\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
    }

    @AfterEach
    void dropDatabase() {
        db.close();
        try (Connection c = db.server().admin("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + monitor);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode statusJson() throws Exception {
        CliRun run = CliRun.run(home, "status", "--json");
        assertEquals(0, run.exitCode(), run::toString);
        return new ObjectMapper().readTree(run.out()).get("connections").get(0).get("tables");
    }

    /** Polls status until its text contains {@code text}; returns that text. */
    private String awaitStatus(String text, CompletableFuture<CliRun> run) throws Exception {
        long until = System.nanoTime() + 60_000_000_000L;
        String seen = "";
        while (!seen.contains(text)) {
            assertTrue(System.nanoTime() < until && !run.isDone(), "status never showed '" + text + "'; last: " + seen
                    + (run.isDone() ? "; the run ended: " + run.join() : ""));
            Thread.sleep(100);
            seen = CliRun.run(home, "status").out();
        }
        return seen;
    }

    @Test
    void statusFollowsARunThroughItsCopyAndItsIndexBuildsInTextAndJson() throws Exception {
        // 1 ms a row in rpcl's sessions: a copy (through the CHECK) and an index build of seconds each.
        db.createSlowFunctions();
        db.execute("CREATE TABLE public.steps (id int PRIMARY KEY, v text, CONSTRAINT steps_slow CHECK (slow_ok(id)))",
                "INSERT INTO public.steps SELECT g, md5(g::text) FROM generate_series(1, 3000) g",
                "CREATE INDEX steps_by_key ON public.steps (slow_key(id))");
        db.writeConfig(home, "default", "main", "tables = ['public.steps']\ncheck_time = \"0\"");
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
        String copying = awaitStatus("public.steps  in progress, step copy", run);
        assertTrue(copying.contains("rpcl session pid ") && copying.contains("log rows replayed"), copying);
        JsonNode during = statusJson().get(0);
        assertEquals("copy", during.get("step").asText(), during::toString);
        assertTrue(during.get("rpcl_pid").isInt(), during::toString);
        String indexing = awaitStatus("building index", run);
        assertTrue(indexing.contains("step create indices") && indexing.contains("steps_by_key"), indexing);
        assertTrue(statusJson().get(0).get("index_builds").get(0).asText().contains("steps_by_key"));
        assertEquals(0, run.get(120, TimeUnit.SECONDS).exitCode());
        CliRun after = CliRun.run(home, "status");
        assertTrue(after.out().contains("public.steps  complete at "), after::toString);
        assertEquals("complete", statusJson().get(0).get("status").asText());
    }

    @Test
    void statusShowsAPreparedTablesBacklogThenABlockedSwapsHolderThenTheOutcome() throws Exception {
        CliRun none = CliRun.run(home, "status");
        assertTrue(none.out().contains("rpcl has not worked on any table here"), none::toString);

        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        db.execute("UPDATE public.orders SET v = 'changed' WHERE id < 500");
        Thread.sleep(1200); // the writer's counters reach the statistics
        CliRun prepared = CliRun.run(home, "status");
        assertTrue(prepared.out().contains("public.orders  prepared, step") && prepared.out().contains("no rpcl session works on it now:"
                + " prepared") && prepared.out().contains("rows to replay"), prepared::toString);
        JsonNode t = statusJson().get(0);
        assertEquals("prepared", t.get("status").asText());
        assertTrue(t.get("backlog_rows").asLong() > 0, t::toString);

        try (Connection blocker = db.ownerConnection(); Statement st = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            st.execute("SELECT count(*) FROM public.orders");
            int blockerPid = Integer.parseInt(db.scalar("SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction'"
                    + " AND datname = current_database() LIMIT 1"));
            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> CliRun.run(home, "repack_tables"));
            String seen = "";
            long until = System.nanoTime() + 60_000_000_000L;
            while (!seen.contains("held by pid " + blockerPid) && System.nanoTime() < until) {
                Thread.sleep(200);
                seen = CliRun.run(home, "status").out();
            }
            assertTrue(seen.contains("held by pid " + blockerPid) && seen.contains("holds AccessShareLock, idle in transaction")
                    && seen.contains("rpcl session pid "), seen);
            blocker.rollback();
            CliRun done = run.get(60, TimeUnit.SECONDS);
            assertEquals(0, done.exitCode(), done::toString);
        }
        CliRun after = CliRun.run(home, "status");
        assertTrue(after.out().contains("public.orders  complete at ") && after.out().contains("lock held"), after::toString);
        assertTrue(Files.readString(home.resolve("logs/repack_default.log")).contains("held by pid "), "the log names the blocker");
    }

    @Test
    void aRoleThatMayOnlyReadRpclsStateCanRunStatus() throws Exception {
        db.executeAsAdmin("GRANT USAGE ON SCHEMA sch_repcloud TO " + monitor,
                "GRANT SELECT ON sch_repcloud.t_table_repack, sch_repcloud.t_control TO " + monitor);
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        Path config = home.resolve("config").resolve("default.toml");
        Files.writeString(config, Files.readString(config)
                .replaceFirst("user = \"[^\"]+\"", "user = \"" + monitor + "\"")
                .replaceFirst("password = \"[^\"]+\"", "password = \"monitor\""));
        CliRun run = CliRun.run(home, "status");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("public.orders  prepared"), run::toString);
    }
}
