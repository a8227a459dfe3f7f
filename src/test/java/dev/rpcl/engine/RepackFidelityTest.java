package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repacked table is indistinguishable from the original: same name, columns, defaults, indexes,
 * constraints, sequences and their values, foreign keys both ways, views (and views on them),
 * materialized views with their indexes; pg_dump --schema-only is the same text before and after.
 * And it is smaller.
 */
class RepackFidelityTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(RepackFidelityTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        try (var c = db.server().admin("postgres"); var st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + groupRole());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String groupRole() {
        return db.owner() + "_group";
    }

    @Test
    @Timeout(120)
    void aPartitionIsSwappedIntoItsPartitionedTableWithItsIndexesAttached() throws Exception {
        db.execute("CREATE SCHEMA parts",
                "CREATE TABLE parts.events (id bigint, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE INDEX events_v ON parts.events (v)",
                "CREATE TABLE parts.events_2024 PARTITION OF parts.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE parts.events_2025 PARTITION OF parts.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE INDEX events_2024_local ON parts.events_2024 (id) WHERE v IS NULL",
                "INSERT INTO parts.events SELECT i, date '2024-01-01' + (i % 700), md5(i::text) FROM generate_series(1, 8000) i",
                "DELETE FROM parts.events WHERE id % 3 <> 0",
                "ANALYZE parts.events");
        String dumpBefore = dump();
        List<List<String>> rowsBefore = db.query("SELECT * FROM parts.events ORDER BY id");
        long sizeBefore = Long.parseLong(db.scalar("SELECT pg_total_relation_size('parts.events_2024')"));
        db.writeConfig(home, "default", "main", "tables = ['parts.events_2024']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        String dumpAfter = dump();
        if (!dumpBefore.equals(dumpAfter)) {
            java.nio.file.Files.writeString(Path.of("target/partition-before.sql"), dumpBefore);
            java.nio.file.Files.writeString(Path.of("target/partition-after.sql"), dumpAfter);
        }
        assertEquals(dumpBefore, dumpAfter, "pg_dump --schema-only before and after (target/partition-*.sql)");
        assertEquals(rowsBefore, db.query("SELECT * FROM parts.events ORDER BY id"));
        assertTrue(Long.parseLong(db.scalar("SELECT pg_total_relation_size('parts.events_2024')")) < sizeBefore * 0.7);
        assertEquals("parts.events", db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = 'parts.events_2024'::regclass"));
        assertFails("INSERT INTO parts.events VALUES (3, '2024-01-04', 'dup')", "duplicate key");
        db.execute("INSERT INTO parts.events VALUES (100000, '2024-06-01', 'routed')");
        assertEquals("1", db.scalar("SELECT count(*) FROM parts.events_2024 WHERE id = 100000"));
    }

    @Test
    @Timeout(120)
    void aTableOwnedByARoleTheUserBelongsToKeepsThatOwner() {
        db.executeAsAdmin("CREATE ROLE " + groupRole() + " NOLOGIN", "GRANT " + groupRole() + " TO " + db.owner(),
                "GRANT CREATE ON SCHEMA public TO " + groupRole());
        db.execute("CREATE TABLE group_owned (id int PRIMARY KEY, v text)",
                "INSERT INTO group_owned SELECT i, 'v' FROM generate_series(1, 1000) i",
                "ALTER TABLE group_owned OWNER TO " + groupRole());
        db.writeConfig(home, "default", "main", "tables = ['public.group_owned']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String before = db.scalar("SELECT 'group_owned'::regclass::oid");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(!before.equals(db.scalar("SELECT 'group_owned'::regclass::oid")), "swapped");
        assertEquals(groupRole(), db.scalar("SELECT relowner::regrole::text FROM pg_class WHERE oid = 'group_owned'::regclass"));
    }

    @Test
    @Timeout(120)
    void repackedTableKeepsItsSchemaObjectsSequencesAndDependentsAndShrinks() throws Exception {
        db.execute("""
                CREATE TABLE parent (pid int PRIMARY KEY, label text UNIQUE)
                """, """
                CREATE TABLE orders (
                    id bigserial PRIMARY KEY,
                    ref int GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5) UNIQUE,
                    pid int NOT NULL REFERENCES parent (pid) ON DELETE CASCADE,
                    code text NOT NULL DEFAULT 'x' || 'y',
                    amount numeric(12, 2) CHECK (amount >= 0),
                    note text COLLATE "C",
                    total numeric GENERATED ALWAYS AS (amount * 2) STORED,
                    period int4range,
                    slot int4range,
                    CONSTRAINT orders_code_pid UNIQUE (code, pid) DEFERRABLE INITIALLY DEFERRED,
                    CONSTRAINT orders_slot_excl EXCLUDE USING gist (slot WITH &&) WHERE (slot IS NOT NULL),
                    CONSTRAINT orders_amount_small CHECK (amount < 1000000) NOT VALID
                ) WITH (fillfactor = 90, autovacuum_enabled = false)
                """,
                "ALTER TABLE orders ADD CONSTRAINT orders_self FOREIGN KEY (ref) REFERENCES orders (ref) NOT VALID",
                "ALTER TABLE orders DROP COLUMN period",
                "CREATE INDEX orders_lower_note ON orders (lower(note)) WHERE note IS NOT NULL",
                "CREATE INDEX orders_pid_incl ON orders USING btree (pid DESC NULLS LAST) INCLUDE (amount) WITH (fillfactor = 70)",
                "CREATE INDEX orders_note_hash ON orders USING hash (note)",
                "CREATE TABLE order_lines (line int PRIMARY KEY, order_id bigint REFERENCES orders (id), "
                        + "order_ref int REFERENCES orders (ref) DEFERRABLE)",
                "CREATE VIEW v_orders AS SELECT id, code, amount FROM orders WHERE amount > 10",
                "CREATE VIEW v_orders_top AS SELECT id FROM v_orders ORDER BY amount DESC LIMIT 10",
                "CREATE VIEW v_labels WITH (security_barrier) AS SELECT o.id, p.label FROM orders o JOIN parent p USING (pid)",
                "CREATE VIEW v_small AS SELECT * FROM orders WHERE amount < 100 WITH CASCADED CHECK OPTION",
                "CREATE MATERIALIZED VIEW mv_totals AS SELECT pid, sum(amount) AS total FROM orders GROUP BY pid",
                "CREATE UNIQUE INDEX mv_totals_pid ON mv_totals (pid)",
                "INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, 20) i",
                "INSERT INTO orders (pid, code, amount, note, slot) SELECT 1 + i % 20, 'c' || i, i % 500, md5(i::text),"
                        + " int4range(i * 10, i * 10 + 5) FROM generate_series(1, 6000) i",
                "INSERT INTO order_lines SELECT i, i * 3, 100 + 5 * (i * 3 - 1) FROM generate_series(1, 1000) i",
                "DELETE FROM orders WHERE id % 4 <> 0 AND id NOT IN (SELECT order_id FROM order_lines)",
                "REFRESH MATERIALIZED VIEW mv_totals",
                "ANALYZE orders");
        long sizeBefore = Long.parseLong(db.scalar("SELECT pg_total_relation_size('orders')"));
        String dumpBefore = dump();
        List<List<String>> sequencesBefore = sequences();
        List<List<String>> rowsBefore = db.query("SELECT * FROM orders ORDER BY id");
        List<List<String>> viewBefore = db.query("SELECT * FROM v_orders_top");
        List<List<String>> mvBefore = db.query("SELECT * FROM mv_totals ORDER BY pid");

        db.writeConfig(home, "default", "main", "tables = ['public.orders']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("repacked"), run::toString);

        String dumpAfter = dump();
        if (!dumpBefore.equals(dumpAfter)) {
            System.out.println(java.nio.file.Files.readString(home.resolve("logs/repack_default.log")));
            java.nio.file.Files.writeString(Path.of("target/fidelity-before.sql"), dumpBefore);
            java.nio.file.Files.writeString(Path.of("target/fidelity-after.sql"), dumpAfter);
        }
        assertEquals(dumpBefore, dumpAfter, "pg_dump --schema-only before and after (target/fidelity-*.sql)");
        assertEquals(sequencesBefore, sequences(), "sequence names, values and options");
        assertEquals(rowsBefore, db.query("SELECT * FROM orders ORDER BY id"));
        assertEquals(viewBefore, db.query("SELECT * FROM v_orders_top"));
        assertEquals(mvBefore, db.query("SELECT * FROM mv_totals ORDER BY pid"));
        long sizeAfter = Long.parseLong(db.scalar("SELECT pg_total_relation_size('orders')"));
        assertTrue(sizeAfter < sizeBefore * 0.6, "smaller: " + sizeBefore + " -> " + sizeAfter);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE NOT convalidated AND conname NOT IN"
                + " ('orders_self', 'orders_amount_small')"), "foreign keys validated again after the swap");

        // The application keeps working: defaults, sequences, identity, and foreign keys both ways.
        db.execute("INSERT INTO orders (pid, amount) VALUES (2, 5)");
        assertEquals(nextOf(sequencesBefore.get(0)), db.scalar("SELECT max(id) FROM orders"),
                "the serial sequence continues where it was");
        assertEquals(Long.toString(Long.parseLong(sequencesBefore.get(1).get(2)) + 5), db.scalar("SELECT max(ref) FROM orders"),
                "the identity continues where it was");
        assertFails("INSERT INTO orders (pid, amount) VALUES (999, 1)", "violates foreign key constraint");
        assertFails("INSERT INTO order_lines VALUES (5000, 123456789, NULL)", "violates foreign key constraint");
        assertFails("INSERT INTO orders (id, pid, amount) VALUES (4, 1, 1)", "duplicate key");
        assertFails("INSERT INTO orders (pid, amount, code, slot) VALUES (1, 1, 'z', int4range(41, 42))", "conflicting key value");
        db.execute("DELETE FROM parent WHERE pid = 7 AND NOT EXISTS (SELECT 1 FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.pid = 7)");
    }

    @Test
    @Timeout(120)
    void aMaterializedViewIsBuiltAgainBeforeTheLockAndSwappedInAndTriggerStatesAndReplicaIdentityNothingSurvive() throws Exception {
        db.execute("CREATE SCHEMA reports",
                "CREATE TABLE public.sales (id int PRIMARY KEY, region text NOT NULL, amount int NOT NULL)",
                "INSERT INTO public.sales SELECT i, 'r' || (i % 7), i % 100 FROM generate_series(1, 20000) i",
                "DELETE FROM public.sales WHERE id % 2 = 0",
                // Two seconds of query: under the lock, the lock would last as long.
                "CREATE MATERIALIZED VIEW reports.sales_by_region WITH (fillfactor = 90) AS SELECT s.region, sum(s.amount) AS total,"
                        + " count(*) AS n FROM public.sales s CROSS JOIN pg_sleep(2) GROUP BY s.region",
                "CREATE UNIQUE INDEX sales_by_region_key ON reports.sales_by_region (region)",
                "CREATE INDEX sales_by_region_big ON reports.sales_by_region (total) WHERE n > 100",
                "GRANT SELECT ON reports.sales_by_region TO PUBLIC",
                "COMMENT ON MATERIALIZED VIEW reports.sales_by_region IS 'totals per region'",
                "DELETE FROM public.sales WHERE id < 1000",
                // Table attributes that only pg_dump shows, carried by the real engine.
                "ALTER TABLE public.sales REPLICA IDENTITY NOTHING",
                "CREATE FUNCTION public.sales_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
                "CREATE TRIGGER sales_replica BEFORE UPDATE ON public.sales FOR EACH ROW EXECUTE FUNCTION public.sales_touch()",
                "ALTER TABLE public.sales ENABLE REPLICA TRIGGER sales_replica",
                "CREATE TRIGGER sales_off BEFORE INSERT ON public.sales FOR EACH ROW EXECUTE FUNCTION public.sales_touch()",
                "ALTER TABLE public.sales DISABLE TRIGGER sales_off");
        String dumpBefore = dump();
        db.writeConfig(home, "default", "main", "tables = ['public.sales']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(dumpBefore, dump(), "pg_dump --schema-only before and after");
        long held = Long.parseLong(db.scalar("SELECT i_lock_held_ms FROM sch_repcloud.t_table_repack WHERE v_old_table_name = 'sales'"));
        assertTrue(held < 1000, "the view's query ran before the lock, which was held " + held + " ms");
        String current = "SELECT region, sum(amount)::text, count(*)::text FROM public.sales GROUP BY region ORDER BY region";
        assertEquals(db.query(current), db.query("SELECT region, total::text, n::text FROM reports.sales_by_region ORDER BY region"),
                "the view holds the table's rows of the swap, including those deleted after its last refresh");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        db.execute("DELETE FROM public.sales WHERE region = 'r1'", "REFRESH MATERIALIZED VIEW CONCURRENTLY reports.sales_by_region");
        assertEquals(db.query(current), db.query("SELECT region, total::text, n::text FROM reports.sales_by_region ORDER BY region"),
                "the view reads the repacked table");
    }

    @Test
    @Timeout(120)
    void aCopyMadeByCreateTableAsGetsEveryColumnAttributeOfTheOriginal() throws Exception {
        db.execute("CREATE SCHEMA ctas", "CREATE DOMAIN ctas.positive AS int CHECK (VALUE > 0)",
                "CREATE FUNCTION public.label_ok(text) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN RETURN length($1) < 100; END$$",
                // A CHECK whose function relies on the search_path, as many do: the copy checks it as the application does.
                "CREATE FUNCTION ctas.row_ok(text) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN RETURN label_ok($1); END$$",
                """
                CREATE UNLOGGED TABLE ctas.attrs (
                    id serial PRIMARY KEY,
                    code varchar(12) NOT NULL DEFAULT 'none',
                    amount numeric(10,3) DEFAULT 0.5,
                    qty ctas.positive NOT NULL,
                    label text COLLATE "C" CHECK (ctas.row_ok(label)),
                    blob text,
                    doc text,
                    made timestamptz NOT NULL DEFAULT now()
                ) WITH (fillfactor = 80, autovacuum_enabled = false)""",
                "ALTER TABLE ctas.attrs ALTER COLUMN blob SET STORAGE EXTERNAL, ALTER COLUMN doc SET COMPRESSION " + db.explicitCompression() + ","
                        + " ALTER COLUMN label SET STORAGE MAIN",
                "INSERT INTO ctas.attrs (code, qty, label, blob, doc) SELECT 'c' || i, 1 + i % 5, 'l' || i, repeat('b', 3000), 'd'"
                        + " FROM generate_series(1, 3000) i",
                "DELETE FROM ctas.attrs WHERE id % 2 = 0");
        String dumpBefore = dump();
        List<List<String>> rowsBefore = db.query("SELECT * FROM ctas.attrs ORDER BY id");
        db.writeConfig(home, "default", "main", "tables = ['ctas.attrs']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals(dumpBefore, dump(), "pg_dump --schema-only before and after");
        assertEquals(rowsBefore, db.query("SELECT * FROM ctas.attrs ORDER BY id"));
        db.execute("INSERT INTO ctas.attrs (qty, label) VALUES (3, 'defaults')");
        assertEquals(List.of(List.of("none", "0.500")), db.query("SELECT code, amount::text FROM ctas.attrs WHERE label = 'defaults'"));
        assertFails("INSERT INTO ctas.attrs (qty) VALUES (0)", "positive");
    }

    /** The schema dump without pg_dump's per-run \\restrict key. */
    private static String dump() {
        return db.schemaDump().replaceAll("(?m)^\\\\(un)?restrict .*$", "");
    }

    private static String nextOf(List<String> sequence) {
        return Long.toString(Long.parseLong(sequence.get(2)) + 1);
    }

    private static List<List<String>> sequences() {
        return db.query("""
                SELECT s.relname, q.is_called::text, q.last_value::text, seqstart::text, seqincrement::text,
                       coalesce(d.refobjid::regclass::text || '.' || a.attname, '') AS owned_by, d.deptype::text
                  FROM pg_class s
                  JOIN pg_sequence p ON p.seqrelid = s.oid
                  CROSS JOIN LATERAL (SELECT * FROM pg_sequences x WHERE x.schemaname = 'public' AND x.sequencename = s.relname) q0
                  CROSS JOIN LATERAL (SELECT q0.last_value, q0.last_value IS NOT NULL AS is_called) q
                  LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
                  LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace
                 ORDER BY s.relname
                """);
    }

    private static void assertFails(String sql, String expected) {
        try {
            db.execute(sql);
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            return;
        }
        throw new AssertionError("expected to fail with '" + expected + "': " + sql);
    }
}
