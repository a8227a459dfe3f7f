package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Views recreated bare by the engine get back their options, owner, grants, comments, defaults,
 * INSTEAD OF triggers and rules; a leaf partition is detached and the new table attached with
 * the same bound and its indexes attached to the parent's.
 */
@Timeout(120)
class ViewsAndPartitionsSwapTest {
    static TestDatabase db;
    static Roles roles;
    static String reader;
    static String app;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ViewsAndPartitionsSwapTest.class);
        roles = new Roles(db, "reader", "app");
        reader = roles.name("reader");
        app = roles.name("app");
        db.executeAsAdmin("GRANT " + app + " TO " + db.owner(), "GRANT CREATE ON SCHEMA public TO " + app);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    @Test
    void viewsGetBackOptionsOwnerGrantsCommentsTriggersAndRules() throws Exception {
        db.execute("CREATE TABLE public.products (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL, hidden boolean NOT NULL DEFAULT false)",
                "INSERT INTO public.products SELECT g, 'p' || g, g * 1.5, g % 10 = 0 FROM generate_series(1, 300) g",
                "CREATE VIEW public.visible_products WITH (security_barrier = true) AS"
                        + " SELECT id, name, price, hidden FROM public.products WHERE NOT hidden WITH LOCAL CHECK OPTION",
                "ALTER VIEW public.visible_products ALTER COLUMN hidden SET DEFAULT false",
                "COMMENT ON VIEW public.visible_products IS 'what the shop shows'",
                "COMMENT ON COLUMN public.visible_products.price IS 'in euros'",
                "GRANT SELECT ON public.visible_products TO " + reader,
                "GRANT UPDATE (price) ON public.visible_products TO " + reader,
                "CREATE VIEW public.cheap_products WITH (security_invoker = true) AS SELECT id, name FROM public.visible_products WHERE price < 100",
                "CREATE VIEW public.price_summary AS SELECT count(*) AS n, sum(price) AS total FROM public.products",
                """
                CREATE FUNCTION public.refuse_summary() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'summary is read-only';
                END $$""",
                "CREATE TRIGGER price_summary_ro INSTEAD OF INSERT ON public.price_summary FOR EACH ROW EXECUTE FUNCTION public.refuse_summary()",
                "COMMENT ON TRIGGER price_summary_ro ON public.price_summary IS 'read only'",
                "CREATE RULE price_summary_delete AS ON DELETE TO public.price_summary DO INSTEAD DELETE FROM public.products WHERE hidden",
                "CREATE MATERIALIZED VIEW public.product_stats WITH (fillfactor = 90) AS SELECT hidden, count(*) AS n FROM public.products GROUP BY hidden",
                "CREATE UNIQUE INDEX product_stats_hidden ON public.product_stats (hidden)",
                "COMMENT ON MATERIALIZED VIEW public.product_stats IS 'refreshed nightly'",
                "GRANT SELECT ON public.product_stats TO " + reader);
        db.executeAsAdmin("ALTER VIEW public.cheap_products OWNER TO " + app);
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "products");
        assertEquals(List.of(), SwapSimulator.blockers(db, ref));
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);

        assertEquals("270", roles.scalar(reader, "SELECT count(*) FROM public.visible_products"));
        assertTrue(roles.may(reader, "UPDATE public.visible_products SET price = 1 WHERE id = 1"));
        assertFalse(roles.may(reader, "UPDATE public.visible_products SET name = 'x' WHERE id = 1"));
        assertFalse(roles.may(reader, "SELECT * FROM public.cheap_products"), "the view's owner and grants are back");
        assertEquals("2", roles.scalar(reader, "SELECT count(*) FROM public.product_stats"));
        db.execute("DELETE FROM public.price_summary");
        assertEquals("270", db.scalar("SELECT count(*) FROM public.products"), "the view's rule acts on the new table");
    }

    @Test
    void leafPartitionIsAttachedAgainWithItsBoundIndexesAndTriggers() throws Exception {
        db.execute("CREATE TABLE public.measurements (id bigint NOT NULL, taken date NOT NULL, value numeric) PARTITION BY RANGE (taken)",
                "CREATE TABLE public.measurements_2024 PARTITION OF public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE public.measurements_2025 PARTITION OF public.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE TABLE public.measurements_other PARTITION OF public.measurements DEFAULT",
                "ALTER TABLE public.measurements ADD PRIMARY KEY (id, taken)",
                "CREATE INDEX measurements_value ON public.measurements (value)",
                "CREATE INDEX measurements_2024_local ON public.measurements_2024 (id) WHERE value > 100",
                """
                CREATE FUNCTION public.no_negative() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.value < 0 THEN RAISE EXCEPTION 'negative'; END IF;
                    RETURN NEW;
                END $$""",
                "CREATE TRIGGER measurements_check BEFORE INSERT ON public.measurements FOR EACH ROW EXECUTE FUNCTION public.no_negative()",
                "CREATE TRIGGER measurements_2024_own BEFORE UPDATE ON public.measurements_2024 FOR EACH ROW EXECUTE FUNCTION public.no_negative()",
                "COMMENT ON TABLE public.measurements_2024 IS 'last year'",
                "ALTER TABLE public.measurements_2024 SET (autovacuum_enabled = false)",
                "INSERT INTO public.measurements SELECT g, date '2024-01-01' + (g % 700), g FROM generate_series(1, 1400) g");
        String before = db.schemaDump();
        List<List<String>> rows = db.query("SELECT * FROM public.measurements ORDER BY id");
        TableRef ref = SwapSimulator.prepare(db, "public", "measurements_2024");
        assertEquals(List.of(), SwapSimulator.blockers(db, ref));
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertEquals(rows, db.query("SELECT * FROM public.measurements ORDER BY id"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = '" + PartitionAttach.BOUND_CHECK + "'"));
        assertFalse(db.query("SELECT 1 FROM pg_inherits WHERE inhrelid = 'public.measurements_2024_pkey'::regclass").isEmpty(),
                "the new table's primary key index is attached to the parent's");
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> db.execute("INSERT INTO public.measurements VALUES (99999, '2024-06-01', -1)"));
        assertTrue(refused.getMessage().contains("negative"), "the parent's trigger, cloned at the attach, fires: " + refused);
    }
}
