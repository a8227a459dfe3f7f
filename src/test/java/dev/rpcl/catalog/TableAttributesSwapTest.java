package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The carriers bring the owner, privileges, comments, options and statistics over to the copy. */
@Timeout(120)
class TableAttributesSwapTest {
    static TestDatabase db;
    static Roles roles;
    static String reader;
    static String clerk;
    static String manager;
    static String outsider;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(TableAttributesSwapTest.class);
        roles = new Roles(db, "reader", "clerk", "manager", "outsider", "app");
        reader = roles.name("reader");
        clerk = roles.name("clerk");
        manager = roles.name("manager");
        outsider = roles.name("outsider");
        // rpcl's user must be able to act as the roles it gives objects to or grants as.
        db.executeAsAdmin("GRANT " + manager + " TO " + db.owner(), "GRANT " + roles.name("app") + " TO " + db.owner(),
                "GRANT CREATE ON SCHEMA public TO " + roles.name("app"));
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    @Test
    void swapKeepsOwnerPrivilegesCommentsOptionsAndStatistics() throws Exception {
        String app = roles.name("app");
        db.execute("""
                CREATE TABLE public.accounts (
                    id serial PRIMARY KEY,
                    email text NOT NULL,
                    balance numeric(12,2) NOT NULL DEFAULT 0 CONSTRAINT balance_not_negative CHECK (balance >= 0),
                    note text,
                    doubled numeric GENERATED ALWAYS AS (balance * 2) STORED,
                    region text)""",
                "CREATE UNIQUE INDEX accounts_email_key ON public.accounts (email)",
                "CREATE INDEX accounts_region_idx ON public.accounts (region) WITH (fillfactor = 70)",
                "CREATE INDEX accounts_email_domain ON public.accounts (split_part(email, '@', 2), lower(region))",
                "ALTER INDEX public.accounts_email_domain ALTER COLUMN 2 SET STATISTICS 800",
                "INSERT INTO public.accounts (email, balance, note, region)"
                        + " SELECT 'user' || g || '@example.com', g, repeat('n', g % 50), 'r' || (g % 7) FROM generate_series(1, 2000) g",
                "ALTER TABLE public.accounts SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01,"
                        + " toast.autovacuum_enabled = false, toast.vacuum_truncate = false)",
                "ALTER TABLE public.accounts ALTER COLUMN region SET STATISTICS 500, ALTER COLUMN region SET (n_distinct = 7),"
                        + " ALTER COLUMN note SET STORAGE EXTERNAL, ALTER COLUMN email SET COMPRESSION " + db.explicitCompression() + ","
                        + " ALTER COLUMN note SET (n_distinct = -0.5, n_distinct_inherited = 10)",
                "ALTER TABLE public.accounts CLUSTER ON accounts_region_idx",
                "ALTER TABLE public.accounts REPLICA IDENTITY USING INDEX accounts_email_key",
                "CREATE STATISTICS public.accounts_region_balance (ndistinct, dependencies) ON region, balance FROM public.accounts",
                "ALTER STATISTICS public.accounts_region_balance SET STATISTICS 300",
                "COMMENT ON STATISTICS public.accounts_region_balance IS 'regions and balances correlate'",
                "CREATE STATISTICS public.accounts_expr ON lower(email), region FROM public.accounts",
                "COMMENT ON TABLE public.accounts IS 'customer accounts; it''s money'",
                "COMMENT ON COLUMN public.accounts.email IS 'login e-mail'",
                "COMMENT ON COLUMN public.accounts.doubled IS 'computed'",
                "COMMENT ON INDEX public.accounts_region_idx IS 'for the region report'",
                "COMMENT ON CONSTRAINT accounts_pkey ON public.accounts IS 'surrogate key'",
                "COMMENT ON CONSTRAINT balance_not_negative ON public.accounts IS E'no overdraft\\\\here'",
                "GRANT SELECT ON public.accounts TO " + reader,
                "GRANT SELECT (id, email), UPDATE (note) ON public.accounts TO " + clerk,
                "GRANT INSERT, UPDATE ON public.accounts TO " + manager + " WITH GRANT OPTION",
                "GRANT SELECT, REFERENCES (region) ON public.accounts TO PUBLIC",
                "REVOKE TRUNCATE ON public.accounts FROM " + db.owner(),
                "GRANT USAGE ON SEQUENCE public.accounts_id_seq TO " + clerk);
        // A grant by a role other than the owner: pg_dump shows it with SET SESSION AUTHORIZATION.
        db.executeAsAdmin("SET ROLE " + manager, "GRANT INSERT ON public.accounts TO " + clerk, "RESET ROLE",
                "ALTER TABLE public.accounts OWNER TO " + app,
                "ALTER STATISTICS public.accounts_expr OWNER TO " + app);
        String before = db.schemaDump();
        List<List<String>> rows = db.query("SELECT * FROM public.accounts ORDER BY id");

        TableRef ref = SwapSimulator.prepare(db, "public", "accounts");
        assertEquals(List.of(), SwapSimulator.blockers(db, ref));
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);

        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertNotEquals(String.valueOf(ref.oid()), db.scalar("SELECT 'public.accounts'::regclass::oid"), "the table was swapped");
        assertEquals(rows, db.query("SELECT * FROM public.accounts ORDER BY id"));
        // The privileges still work as before, and only as before.
        assertTrue(roles.may(reader, "SELECT * FROM public.accounts"));
        assertFalse(roles.may(reader, "INSERT INTO public.accounts (email) VALUES ('r@example.com')"));
        assertTrue(roles.may(clerk, "SELECT id, email FROM public.accounts"));
        assertTrue(roles.may(clerk, "SELECT region FROM public.accounts"), "PUBLIC may select");
        assertTrue(roles.may(clerk, "UPDATE public.accounts SET note = 'x' WHERE id = 1"));
        assertFalse(roles.may(clerk, "UPDATE public.accounts SET email = 'x' WHERE id = 1"));
        assertTrue(roles.may(clerk, "INSERT INTO public.accounts (email) VALUES ('c@example.com')"));
        assertTrue(roles.may(manager, "GRANT UPDATE ON public.accounts TO " + outsider), "the grant option survives");
        assertFalse(roles.may(outsider, "DELETE FROM public.accounts"));
        assertFalse(roles.may(app, "TRUNCATE public.accounts"), "the owner's own revoked privilege stays revoked");
    }

    @Test
    void swapKeepsUnloggedTableAndReplicaIdentityFull() throws Exception {
        db.execute("CREATE UNLOGGED TABLE public.sessions (token text PRIMARY KEY, data jsonb)",
                "INSERT INTO public.sessions SELECT 't' || g, jsonb_build_object('g', g) FROM generate_series(1, 100) g",
                "ALTER TABLE public.sessions REPLICA IDENTITY FULL",
                "ALTER TABLE public.sessions SET (autovacuum_enabled = false)");
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "sessions");
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertEquals("100", db.scalar("SELECT count(*) FROM public.sessions"));
    }

    @Test
    void fillfactorChosenForTheCopyIsKeptAndTheOtherOptionsAdded() throws Exception {
        db.execute("CREATE TABLE public.tuned (id int PRIMARY KEY, v text)",
                "ALTER TABLE public.tuned SET (fillfactor = 80, autovacuum_analyze_threshold = 1000, toast.autovacuum_enabled = false)");
        TableRef ref = SwapSimulator.prepare(db, "public", "tuned");
        // What the engine does when table_conf sets a fillfactor for the table.
        db.execute("ALTER TABLE " + ref.copyQualified() + " SET (fillfactor = 30)");
        SwapSimulator.swap(db, ref);
        assertEquals("{fillfactor=30,autovacuum_analyze_threshold=1000}",
                db.scalar("SELECT reloptions FROM pg_class WHERE oid = 'public.tuned'::regclass"));
        assertEquals("{autovacuum_enabled=false}",
                db.scalar("SELECT t.reloptions FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid"
                        + " WHERE c.oid = 'public.tuned'::regclass"));
    }

    @Test
    void identitySequenceKeepsItsCommentAndExactPrivileges() throws Exception {
        db.execute("CREATE TABLE public.tickets (id bigint GENERATED ALWAYS AS IDENTITY (CACHE 5) PRIMARY KEY, v text)",
                "INSERT INTO public.tickets (v) SELECT 'x' FROM generate_series(1, 10)",
                "COMMENT ON SEQUENCE public.tickets_id_seq IS 'ticket numbers'",
                "GRANT SELECT ON SEQUENCE public.tickets_id_seq TO " + reader + " WITH GRANT OPTION",
                "REVOKE UPDATE ON SEQUENCE public.tickets_id_seq FROM " + db.owner());
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "tickets");
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        db.execute("INSERT INTO public.tickets (v) VALUES ('next')");
        assertEquals("11", db.scalar("SELECT max(id) FROM public.tickets"));
    }

    @Test
    void typedTableStaysTyped() throws Exception {
        db.execute("CREATE TYPE public.point_row AS (id int, x numeric, y numeric)",
                "CREATE TABLE public.points OF public.point_row (PRIMARY KEY (id), x WITH OPTIONS NOT NULL)",
                "INSERT INTO public.points SELECT g, g, g FROM generate_series(1, 50) g");
        String before = db.schemaDump();
        TableRef ref = SwapSimulator.prepare(db, "public", "points");
        assertEquals(List.of(), SwapSimulator.blockers(db, ref));
        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
    }

    @Test
    void plainTableNeedsNoStatementsButTheMove() throws Exception {
        db.execute("CREATE TABLE public.plain (id int PRIMARY KEY, v text)", "INSERT INTO public.plain VALUES (1, 'a')");
        TableRef ref = SwapSimulator.prepare(db, "public", "plain");
        try (var c = db.ownerConnection()) {
            List<Carried> parts = new java.util.ArrayList<>();
            for (Carrier carrier : Carriers.all()) {
                parts.add(carrier.capture(c, ref));
            }
            Carried all = Carried.concat(parts);
            assertEquals(List.of(), all.beforeMove());
            assertEquals(List.of(), all.afterMove());
            assertEquals(List.of(), all.afterCommit());
        }
    }
}
