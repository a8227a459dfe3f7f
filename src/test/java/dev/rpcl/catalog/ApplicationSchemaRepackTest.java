package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code rpcl repack_tables} on a small shop application's schema (domains, an enum,
 * functions, triggers, rules, foreign keys both ways, views, a materialized view, partitions,
 * row-level security, a publication, grants and comments): pg_dump --schema-only is the same text
 * after, every row is the same, and the application still works the way it did. And a table
 * with an object rpcl cannot carry over is skipped before any copy, leaving the database as it was.
 */
@Timeout(300)
class ApplicationSchemaRepackTest {
    static TestDatabase db;
    static Roles roles;

    @TempDir
    Path home;

    private static final List<String> TABLES = List.of("public.customers", "public.orders", "public.order_items", "public.audit_log");

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ApplicationSchemaRepackTest.class);
        roles = new Roles(db, "shop_ro", "shop_rw", "shop_owner");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    private static void createShop(String ro, String rw) {
        db.execute("CREATE DOMAIN public.email AS text CONSTRAINT email_has_at CHECK (VALUE ~ '@')",
                "CREATE TYPE public.order_status AS ENUM ('new', 'paid', 'shipped')",
                """
                CREATE TABLE public.customers (
                    id bigserial PRIMARY KEY,
                    email public.email NOT NULL UNIQUE,
                    name text NOT NULL,
                    tier smallint NOT NULL DEFAULT 1,
                    created timestamptz NOT NULL DEFAULT '2024-01-01 00:00+00'
                ) WITH (fillfactor = 90)""",
                """
                CREATE TABLE public.orders (
                    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1000) PRIMARY KEY,
                    customer_id bigint NOT NULL REFERENCES public.customers (id),
                    status public.order_status NOT NULL DEFAULT 'new',
                    total numeric(12,2) NOT NULL CONSTRAINT total_not_negative CHECK (total >= 0),
                    placed date NOT NULL,
                    notes text,
                    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED
                )""",
                """
                CREATE TABLE public.order_items (
                    order_id bigint NOT NULL REFERENCES public.orders (id) ON DELETE CASCADE,
                    line int NOT NULL,
                    sku text NOT NULL,
                    qty int NOT NULL CHECK (qty > 0),
                    PRIMARY KEY (order_id, line)
                )""",
                "CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, tbl text NOT NULL, op text NOT NULL, row_id bigint)",
                """
                CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
                BEGIN
                    INSERT INTO public.audit_log (tbl, op, row_id)
                    VALUES (TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
                    RETURN NULL;
                END $$""",
                """
                CREATE FUNCTION public.keep_shipped() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'order % is shipped', OLD.id;
                END $$""",
                "CREATE FUNCTION public.order_count(customer bigint) RETURNS bigint LANGUAGE sql STABLE"
                        + " AS $$ SELECT count(*) FROM public.orders WHERE customer_id = customer $$",
                "CREATE TRIGGER orders_audit AFTER INSERT OR DELETE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit()",
                "CREATE TRIGGER orders_keep_shipped BEFORE UPDATE ON public.orders FOR EACH ROW WHEN (OLD.status = 'shipped')"
                        + " EXECUTE FUNCTION public.keep_shipped()",
                "ALTER TABLE public.orders ENABLE ALWAYS TRIGGER orders_keep_shipped",
                "COMMENT ON TRIGGER orders_audit ON public.orders IS 'every order is audited'",
                "CREATE RULE audit_log_append_only AS ON DELETE TO public.audit_log DO INSTEAD NOTHING",
                "CREATE INDEX orders_customer ON public.orders (customer_id, placed DESC)",
                "CREATE INDEX orders_open ON public.orders (placed) WHERE status <> 'shipped'",
                "ALTER TABLE public.orders CLUSTER ON orders_customer",
                "ALTER TABLE public.orders ALTER COLUMN status SET STATISTICS 1000",
                "ALTER TABLE public.orders SET (autovacuum_vacuum_scale_factor = 0.02, toast.autovacuum_enabled = false)",
                "CREATE STATISTICS public.orders_customer_status (dependencies) ON customer_id, status FROM public.orders",
                "ALTER TABLE public.customers REPLICA IDENTITY USING INDEX customers_email_key",
                "CREATE VIEW public.open_orders WITH (security_barrier = true) AS SELECT o.id, c.name, o.total, o.placed"
                        + " FROM public.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.status <> 'shipped'",
                "CREATE VIEW public.big_open_orders AS SELECT * FROM public.open_orders WHERE total > 100",
                "CREATE MATERIALIZED VIEW public.daily_sales AS SELECT placed, sum(total) AS total, count(*) AS n"
                        + " FROM public.orders GROUP BY placed",
                "CREATE UNIQUE INDEX daily_sales_placed ON public.daily_sales (placed)",
                "CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at)",
                "CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE public.events_rest PARTITION OF public.events DEFAULT",
                "ALTER TABLE public.customers ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY customers_low_tiers ON public.customers FOR SELECT TO " + ro + " USING (tier < 3)",
                "CREATE POLICY customers_rw ON public.customers TO " + rw + " USING (true) WITH CHECK (tier BETWEEN 1 AND 3)",
                "CREATE PUBLICATION shop_changes FOR TABLE public.orders, public.customers" + (db.major() >= 15 ? " (id, email, tier)" : ""),
                "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + ro,
                "GRANT SELECT, INSERT, UPDATE ON public.orders, public.order_items TO " + rw,
                "GRANT SELECT, UPDATE (tier, name) ON public.customers TO " + rw,
                "GRANT USAGE ON SEQUENCE public.customers_id_seq TO " + rw,
                "GRANT SELECT, USAGE ON SEQUENCE public.orders_id_seq TO " + ro + ", " + rw,
                "GRANT SELECT ON public.daily_sales, public.open_orders TO " + rw,
                "COMMENT ON TABLE public.orders IS 'one row per order'",
                "COMMENT ON COLUMN public.orders.total IS 'gross, in euros'",
                "COMMENT ON INDEX public.orders_open IS 'orders not shipped yet'",
                "COMMENT ON CONSTRAINT total_not_negative ON public.orders IS 'refunds are separate'",
                "COMMENT ON CONSTRAINT order_items_order_id_fkey ON public.order_items IS 'items go with their order'",
                "COMMENT ON MATERIALIZED VIEW public.daily_sales IS 'refreshed nightly'",
                "COMMENT ON POLICY customers_low_tiers ON public.customers IS 'readers see tiers 1 and 2'",
                "INSERT INTO public.customers (email, name, tier) SELECT 'c' || g || '@shop.example', 'customer ' || g, 1 + g % 3"
                        + " FROM generate_series(1, 400) g",
                "INSERT INTO public.orders (customer_id, status, total, placed, notes) SELECT 1 + g % 400,"
                        + " (ARRAY['new', 'paid', 'shipped'])[1 + g % 3]::public.order_status, (g % 300) + 0.5,"
                        + " date '2024-01-01' + g % 90, repeat('note ', g % 20) FROM generate_series(1, 3000) g",
                "INSERT INTO public.order_items SELECT o.id, l, 'sku' || l, l FROM public.orders o, generate_series(1, 2) l",
                "INSERT INTO public.events SELECT g, date '2024-06-01' + g % 400, 'k' FROM generate_series(1, 500) g",
                // Bloat, so that there is something to repack.
                "UPDATE public.orders SET notes = notes WHERE id % 2 = 0 AND status <> 'shipped'",
                "DELETE FROM public.order_items WHERE line = 2 AND order_id % 3 = 0",
                "UPDATE public.customers SET name = name || '' WHERE id % 2 = 0",
                "REFRESH MATERIALIZED VIEW public.daily_sales");
    }

    @Test
    void repackingTheApplicationsTablesChangesNothingButTheirSize() throws Exception {
        String ro = roles.name("shop_ro");
        String rw = roles.name("shop_rw");
        createShop(ro, rw);
        String before = SchemaDiff.normalize(db.schemaDump());
        Map<String, List<List<String>>> rows = new LinkedHashMap<>();
        for (String t : TABLES) {
            rows.put(t, db.query("SELECT * FROM " + t + " ORDER BY 1, 2"));
        }
        List<List<String>> salesBefore = db.query("SELECT * FROM public.daily_sales ORDER BY placed");
        String readerView = roles.scalar(ro, "SELECT count(*) FROM public.customers");
        List<String> oids = TABLES.stream().map(t -> db.scalar("SELECT '" + t + "'::regclass::oid")).toList();

        db.writeConfig(home, "default", "shop", "tables = [" + String.join(", ", TABLES.stream().map(t -> "'" + t + "'").toList())
                + "]\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);

        SchemaDiff.assertSameSchema(before, db.schemaDump(), null);
        for (int i = 0; i < TABLES.size(); i++) {
            String t = TABLES.get(i);
            assertFalse(oids.get(i).equals(db.scalar("SELECT '" + t + "'::regclass::oid")), t + " was swapped: " + run);
            assertEquals(rows.get(t), db.query("SELECT * FROM " + t + " ORDER BY 1, 2"), t + " holds the same rows");
        }
        assertEquals(salesBefore, db.query("SELECT * FROM public.daily_sales ORDER BY placed"));
        assertEquals(readerView, roles.scalar(ro, "SELECT count(*) FROM public.customers"), "the policy still filters");

        // The application still works as it did.
        String audits = db.scalar("SELECT count(*) FROM public.audit_log");
        assertTrue(roles.may(rw, "INSERT INTO public.orders (customer_id, total, placed) VALUES (1, 10, '2024-05-01')"));
        assertEquals(Long.parseLong(audits) + 1, Long.parseLong(db.scalar("SELECT count(*) FROM public.audit_log")),
                "the audit trigger fires once for a new order");
        assertFalse(roles.may(ro, "INSERT INTO public.orders (customer_id, total, placed) VALUES (1, 10, '2024-05-01')"));
        assertFalse(roles.may(rw, "UPDATE public.customers SET email = 'x@y' WHERE id = 1"), "column privileges still hold");
        assertTrue(roles.may(rw, "UPDATE public.customers SET tier = 2 WHERE id = 1"));
        db.execute("DELETE FROM public.audit_log");
        assertFalse(db.scalar("SELECT count(*) FROM public.audit_log").equals("0"), "the rule still protects the audit log");
        assertEquals("2", db.scalar("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'shop_changes'"));
        assertTrue(Long.parseLong(db.scalar("SELECT public.order_count(1)")) > 0);
        String shipped = db.scalar("SELECT min(id) FROM public.orders WHERE status = 'shipped'");
        IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> db.execute("UPDATE public.orders SET notes = 'late' WHERE id = " + shipped));
        assertTrue(refused.getMessage().contains("is shipped"), refused.getMessage());
    }

    @Test
    void aTableOwnedByAnotherRoleOfTheRpclUserKeepsItsOwnerSequencesAndGrants() throws Exception {
        String owner = roles.name("shop_owner");
        String ro = roles.name("shop_ro");
        db.executeAsAdmin("GRANT " + owner + " TO " + db.owner(), "GRANT CREATE ON SCHEMA public TO " + owner);
        db.execute("CREATE TABLE public.invoices (id serial PRIMARY KEY, no bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE,"
                        + " amount numeric NOT NULL)",
                "INSERT INTO public.invoices (amount) SELECT g FROM generate_series(1, 2000) g",
                "DELETE FROM public.invoices WHERE id % 3 = 0",
                "ALTER TABLE public.invoices OWNER TO " + owner,
                "GRANT SELECT ON public.invoices TO " + ro,
                "COMMENT ON TABLE public.invoices IS 'owned by the application role'");
        String before = SchemaDiff.normalize(db.schemaDump());
        List<List<String>> rows = db.query("SELECT * FROM public.invoices ORDER BY id");
        db.writeConfig(home, "default", "shop", "tables = ['public.invoices']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);

        SchemaDiff.assertSameSchema(before, db.schemaDump(), null);
        assertEquals(rows, db.query("SELECT * FROM public.invoices ORDER BY id"));
        assertEquals(owner, db.scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.invoices'::regclass"));
        db.execute("INSERT INTO public.invoices (amount) VALUES (1)");
        assertEquals("2001", db.scalar("SELECT max(id) FROM public.invoices"), "the serial continues");
        assertEquals("2001", db.scalar("SELECT max(no) FROM public.invoices"), "the identity continues");
    }

    @Test
    void aForcedRowSecurityTableIsRepackedWholeWhenTheRpclUserBypassesRowSecurity() throws Exception {
        String ro = roles.name("shop_ro");
        db.execute("CREATE TABLE public.vault (id int PRIMARY KEY, owner_name text NOT NULL)",
                "INSERT INTO public.vault SELECT g, CASE WHEN g % 2 = 0 THEN '" + ro + "' ELSE 'other' END FROM generate_series(1, 1000) g",
                "DELETE FROM public.vault WHERE id % 5 = 0",
                "GRANT SELECT ON public.vault TO " + ro,
                "ALTER TABLE public.vault ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.vault FORCE ROW LEVEL SECURITY",
                "CREATE POLICY vault_own ON public.vault FOR SELECT USING (owner_name = current_user)");
        String before = SchemaDiff.normalize(db.schemaDump());
        db.writeConfig(home, "default", "shop", "tables = ['public.vault']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun refused = CliRun.run(home, "repack_tables");
        assertEquals(3, refused.exitCode(), refused::toString);
        assertTrue(refused.out().contains("FORCE ROW LEVEL SECURITY"), refused::toString);

        db.executeAsAdmin("ALTER ROLE " + db.owner() + " BYPASSRLS");
        try {
            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
        } finally {
            db.executeAsAdmin("ALTER ROLE " + db.owner() + " NOBYPASSRLS");
        }
        SchemaDiff.assertSameSchema(before, db.schemaDump(), null);
        db.executeAsAdmin("ALTER TABLE public.vault NO FORCE ROW LEVEL SECURITY");
        assertEquals("800", db.scalar("SELECT count(*) FROM public.vault"), "every row was copied, not only the visible ones");
        assertEquals("400", roles.scalar(ro, "SELECT count(*) FROM public.vault"), "the policy still filters");
    }

    @Test
    void aTableWithAnObjectRpclCannotCarryIsSkippedBeforeAnyCopy() throws Exception {
        db.execute("CREATE TABLE public.parcels (id int PRIMARY KEY, weight int NOT NULL)",
                "INSERT INTO public.parcels SELECT g, g FROM generate_series(1, 1000) g",
                "DELETE FROM public.parcels WHERE id % 2 = 0",
                "CREATE TABLE public.parcel_history (at timestamptz, parcel public.parcels)");
        String before = SchemaDiff.normalize(db.schemaDump());
        String oid = db.scalar("SELECT 'public.parcels'::regclass::oid");
        db.writeConfig(home, "default", "shop", "tables = ['public.parcels']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");

        assertEquals(3, run.exitCode(), run::toString);
        assertTrue((run.out() + run.err()).contains("column parcel of table parcel_history uses the table's row type"), run::toString);
        assertEquals(oid, db.scalar("SELECT 'public.parcels'::regclass::oid"), "the table was not swapped");
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"),
                "no copy was made");
        CliRun drop = CliRun.run(home, "drop_schema");
        assertEquals(0, drop.exitCode(), drop::toString);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), null);
    }
}
