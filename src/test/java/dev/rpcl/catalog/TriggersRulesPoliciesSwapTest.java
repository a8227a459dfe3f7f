package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Triggers, rules, row-level security and publications survive the swap and still act. */
@Timeout(120)
class TriggersRulesPoliciesSwapTest {
    static TestDatabase db;
    static Roles roles;
    static String reader;
    static String clerk;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TriggersRulesPoliciesSwapTest.class);
        roles = new Roles(db, "reader", "clerk");
        reader = roles.name("reader");
        clerk = roles.name("clerk");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    @Test
    void triggersKeepTheirEnabledStateAndFireOnlyAfterTheSwap() throws Exception {
        db.execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount int NOT NULL, touched int NOT NULL DEFAULT 0)",
                "CREATE TABLE public.order_audit (order_id bigint, what text)",
                """
                CREATE FUNCTION public.audit_order() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO public.order_audit VALUES (NEW.id, TG_NAME || ':' || TG_OP);
                    RETURN NEW;
                END $$""",
                """
                CREATE FUNCTION public.touch_order() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.touched := NEW.touched + 1;
                    RETURN NEW;
                END $$""",
                """
                CREATE FUNCTION public.count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO public.order_audit SELECT id, 'deleted' FROM gone;
                    RETURN NULL;
                END $$""",
                "INSERT INTO public.orders (id, customer, amount) SELECT g, 'c' || (g % 10), g FROM generate_series(1, 500) g",
                "CREATE TRIGGER orders_audit AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order()",
                "CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW WHEN (OLD.amount IS DISTINCT FROM NEW.amount)"
                        + " EXECUTE FUNCTION public.touch_order()",
                "ALTER TABLE public.orders ENABLE ALWAYS TRIGGER orders_touch",
                "CREATE TRIGGER orders_replica AFTER UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order()",
                "ALTER TABLE public.orders ENABLE REPLICA TRIGGER orders_replica",
                "CREATE TRIGGER orders_disabled AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order()",
                "ALTER TABLE public.orders DISABLE TRIGGER orders_disabled",
                "CREATE TRIGGER orders_deleted AFTER DELETE ON public.orders REFERENCING OLD TABLE AS gone"
                        + " FOR EACH STATEMENT EXECUTE FUNCTION public.count_deleted()",
                "CREATE CONSTRAINT TRIGGER orders_deferred AFTER INSERT ON public.orders DEFERRABLE INITIALLY DEFERRED"
                        + " FOR EACH ROW EXECUTE FUNCTION public.audit_order()",
                "COMMENT ON TRIGGER orders_audit ON public.orders IS 'audit every new order'",
                "CREATE RULE orders_keep_big AS ON DELETE TO public.orders WHERE old.amount > 490 DO INSTEAD NOTHING",
                "COMMENT ON RULE orders_keep_big ON public.orders IS 'big orders are never deleted'",
                "CREATE RULE orders_log_update AS ON UPDATE TO public.orders DO ALSO INSERT INTO public.order_audit VALUES (new.id, 'rule')",
                "ALTER TABLE public.orders ENABLE ALWAYS RULE orders_log_update",
                "CREATE RULE orders_disabled_rule AS ON INSERT TO public.orders DO ALSO INSERT INTO public.order_audit VALUES (new.id, 'x')",
                "ALTER TABLE public.orders DISABLE RULE orders_disabled_rule",
                "DELETE FROM public.order_audit");
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "orders");
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertEquals("0", db.scalar("SELECT count(*) FROM public.order_audit"), "no trigger fired for the copy or the swap");

        db.execute("INSERT INTO public.orders (id, customer, amount) VALUES (1000, 'new', 5)");
        assertEquals(List.of(List.of("orders_audit:INSERT"), List.of("orders_deferred:INSERT")),
                db.query("SELECT what FROM public.order_audit ORDER BY what"), "enabled triggers fire, the disabled one does not");
        db.execute("DELETE FROM public.order_audit", "UPDATE public.orders SET amount = amount + 1 WHERE id = 1");
        assertEquals("1", db.scalar("SELECT touched FROM public.orders WHERE id = 1"), "the ALWAYS trigger fires");
        assertEquals(List.of(List.of("rule")), db.query("SELECT what FROM public.order_audit"),
                "the rule acts and the REPLICA trigger does not fire in an origin session");
        db.execute("DELETE FROM public.order_audit", "DELETE FROM public.orders WHERE id IN (1, 495)");
        assertEquals("t", db.scalar("SELECT EXISTS (SELECT 1 FROM public.orders WHERE id = 495)"), "the INSTEAD NOTHING rule still protects");
        assertEquals(List.of(List.of("1", "deleted")), db.query("SELECT order_id, what FROM public.order_audit"),
                "the statement trigger sees its transition table");
    }

    @Test
    void rowLevelSecurityPoliciesStillFilterAfterTheSwap() throws Exception {
        db.execute("CREATE TABLE public.notes (id int PRIMARY KEY, author text NOT NULL, body text, secret boolean NOT NULL DEFAULT false)",
                "INSERT INTO public.notes SELECT g, CASE WHEN g % 2 = 0 THEN '" + reader + "' ELSE '" + clerk + "' END, 'b' || g, g % 5 = 0"
                        + " FROM generate_series(1, 100) g",
                "GRANT SELECT, INSERT, UPDATE ON public.notes TO " + reader + ", " + clerk,
                "ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.notes FORCE ROW LEVEL SECURITY",
                "CREATE POLICY own_notes ON public.notes FOR SELECT TO " + reader + ", " + clerk + " USING (author = current_user)",
                "CREATE POLICY write_own ON public.notes AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK (author = current_user)",
                "CREATE POLICY no_secrets ON public.notes AS RESTRICTIVE FOR ALL TO " + reader + " USING (NOT secret) WITH CHECK (NOT secret)",
                "CREATE POLICY clerk_updates ON public.notes FOR UPDATE TO " + clerk
                        + " USING (id IN (SELECT n.id FROM public.notes n WHERE n.id < 50)) WITH CHECK (length(body) < 100)",
                "COMMENT ON POLICY no_secrets ON public.notes IS 'readers never see secrets'");
        String readerBefore = roles.scalar(reader, "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.notes");
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "notes");
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);

        assertEquals(readerBefore, roles.scalar(reader, "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.notes"));
        assertEquals("40", roles.scalar(reader, "SELECT count(*) FROM public.notes"), "50 own notes minus 10 secret ones");
        assertEquals("50", roles.scalar(clerk, "SELECT count(*) FROM public.notes"));
        assertTrue(roles.may(reader, "INSERT INTO public.notes VALUES (1000, current_user, 'mine')"));
        assertFalse(roles.may(reader, "INSERT INTO public.notes VALUES (1001, 'someone else', 'x')"),
                "WITH CHECK still refuses a note written in another's name");
        assertEquals("0", db.scalar("SELECT count(*) FROM public.notes"), "FORCE still applies to the owner, who has no policy");
    }

    @Test
    void publicationMembershipWithColumnListAndRowFilterSurvives() throws Exception {
        db.execute("CREATE TABLE public.events (id bigint PRIMARY KEY, kind text NOT NULL, payload text)",
                "INSERT INTO public.events SELECT g, 'k' || (g % 3), 'p' FROM generate_series(1, 100) g",
                "CREATE PUBLICATION events_all FOR TABLE public.events");
        // Column lists, row filters and whole schemas came with 15.
        boolean since15 = db.major() >= 15;
        db.execute("CREATE PUBLICATION events_filtered FOR TABLE public.events"
                + (since15 ? " (id, kind) WHERE (kind <> 'k0')" : "") + " WITH (publish = 'insert')");
        if (since15) {
            // Only a superuser may publish a whole schema; the new table joins it by being in the schema.
            db.executeAsAdmin("CREATE PUBLICATION schema_pub FOR TABLES IN SCHEMA public WITH (publish = 'insert')");
        }
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "events");
        assertEquals(List.of(), SwapSimulator.blockers(db, ref));
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertEquals(since15 ? "3" : "2", db.scalar("SELECT count(*) FROM pg_publication_tables WHERE tablename = 'events'"));
    }
}
