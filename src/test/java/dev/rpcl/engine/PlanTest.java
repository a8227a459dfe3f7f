package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.SchemaDiff;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * plan (and --dry-run) tells what repack_tables would do, before create_schema even, and changes
 * nothing: each table's action and reason, sizes and the estimated gain, the peak extra disk,
 * the sessions that would hold the repack up now, columns that may hold OIDs. The run that
 * follows does what the plan said.
 */
@Timeout(120)
class PlanTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(PlanTest.class);
        db.execute("CREATE SCHEMA shop",
                "CREATE TABLE shop.orders (id int PRIMARY KEY, v text)",
                "INSERT INTO shop.orders SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g",
                "DELETE FROM shop.orders WHERE id % 10 < 6",
                "CREATE TABLE shop.customers (id int PRIMARY KEY, v text)",
                "INSERT INTO shop.customers SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g",
                "CREATE TABLE shop.history (v text)",
                "INSERT INTO shop.history SELECT g::text FROM generate_series(1, 100) g",
                "CREATE TABLE shop.audit (at timestamptz, rel regclass)",
                "ANALYZE");
        db.writeConfig(home, "default", "main", "schemas = ['shop']\ncheck_time = \"0\"\nmin_gain = \"64kB\"\nmin_gain_ratio = 0.2");
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private String rows() {
        return db.scalar("SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM shop.orders x");
    }

    private static String line(CliRun run, String table) {
        return run.out().lines().filter(l -> l.contains(table + " ")).findFirst().orElse("(no line for " + table + ")\n" + run);
    }

    @Test
    void planSaysWhatTheRunWillDoAndChangesNothingEvenBeforeCreateSchema() throws Exception {
        String dump = db.schemaDump();
        String data = rows();
        CliRun plan;
        try (Connection app = db.ownerConnection(); Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            st.execute("UPDATE shop.orders SET v = v WHERE id = 9");
            plan = CliRun.run(home, "plan");
            app.rollback();
        }
        assertEquals(0, plan.exitCode(), plan::toString);
        assertTrue(line(plan, "shop.orders").matches("\\s+1\\s+shop\\.orders\\s+repack\\s+.*rows identified by its primary key orders_pkey"),
                plan::toString);
        assertTrue(plan.out().contains("now: pid ") && plan.out().contains("holds RowExclusiveLock"), plan::toString);
        assertTrue(line(plan, "shop.customers").contains("healthy") && line(plan, "shop.customers").contains("is under min_gain"),
                plan::toString);
        assertTrue(line(plan, "shop.history").contains("skip") && line(plan, "shop.history").contains("no primary key"), plan::toString);
        assertTrue(plan.out().contains("1 to repack") && plan.out().contains("1 healthy, 2 skipped"), plan::toString);
        assertTrue(plan.out().contains("shop.audit.rel (regclass)"), plan::toString);
        SchemaDiff.assertSameSchema(dump, db.schemaDump());
        assertEquals(data, rows());
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sch_rep%'"), "no helper schema was made");

        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun dryRun = CliRun.run(home, "repack_tables", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun::toString);
        assertTrue(line(dryRun, "shop.orders").contains("repack"), dryRun::toString);
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"), "--dry-run started nothing");

        CliRun json = CliRun.run(home, "plan", "--json");
        assertEquals(0, json.exitCode(), json::toString);
        com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
        assertEquals("rpcl/1", doc.get("format").asText());
        com.fasterxml.jackson.databind.JsonNode tables = doc.get("connections").get(0).get("tables");
        java.util.Map<String, String> planned = new java.util.HashMap<>();
        tables.forEach(t -> planned.put(t.get("table").asText(), t.get("action").asText()));
        assertEquals(java.util.Map.of("shop.orders", "repack", "shop.customers", "healthy", "shop.history", "skip", "shop.audit", "skip"),
                planned);
        assertTrue(tables.get(0).get("peak_extra_disk_bytes").asLong() > 0 && tables.get(0).get("position").asInt() == 1, json::toString);

        String ordersOid = db.scalar("SELECT 'shop.orders'::regclass::oid");
        CliRun run = CliRun.run(home, "repack_tables", "--json");
        com.fasterxml.jackson.databind.JsonNode result = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.out());
        assertEquals(run.exitCode(), result.get("exit_code").asInt());
        java.util.Map<String, String> done = new java.util.HashMap<>();
        result.get("connections").get(0).get("tables").forEach(t -> done.put(t.get("table").asText(), t.get("status").asText()));
        assertEquals(java.util.Map.of("shop.orders", "repacked", "shop.customers", "healthy", "shop.history", "skipped",
                "shop.audit", "skipped"), done, "the run did what the plan said");
        assertTrue(run.err().contains("rpcl: skipped: shop.history (connection main): it has no primary key"), run::toString);
        assertTrue(!ordersOid.equals(db.scalar("SELECT 'shop.orders'::regclass::oid")));
    }
}
