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
 * INSTEAD OF triggers and rules. (Leaf partitions are swapped by the engine itself; its
 * RepackFidelityTest and ConcurrentRepackTest cover them.)
 */
@Timeout(120)
class ViewAttributesSwapTest {
    static TestDatabase db;
    static Roles roles;
    static String reader;
    static String app;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(ViewAttributesSwapTest.class);
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
                "CREATE VIEW public.cheap_products" + (db.major() >= 15 ? " WITH (security_invoker = true)" : "") + " AS SELECT id, name FROM public.visible_products WHERE price < 100",
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
}
