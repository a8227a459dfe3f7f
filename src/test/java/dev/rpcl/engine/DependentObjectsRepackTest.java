package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.Roles;
import dev.rpcl.catalog.SchemaDiff;
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
 * Objects of the rest of the database bound to a table's OID or row type, which rpcl recreates
 * for the new table (issue 15's list, from pg_repack's and pg_squeeze's regression suites and
 * the Pagila sample database): functions and procedures taking or returning the row type, with
 * their grants and comments; SQL-standard bodies reading the table; rules and policies of other
 * tables reading it; a column default naming the table itself. Repacked while an application
 * writes the table and a twin in the same transactions: pg_dump --schema-only is the same text,
 * the table equals its twin, and the objects work on the new table.
 */
@Timeout(300)
class DependentObjectsRepackTest {
    static TestDatabase db;
    static Roles roles;
    static String reader;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(DependentObjectsRepackTest.class);
        roles = new Roles(db, "reader");
        reader = roles.name("reader");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    private Map<String, String> rows(List<String> tables) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String t : tables) {
            out.put(t, db.scalar("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM " + t + " x"));
        }
        return out;
    }

    private static String oid(String name) {
        return db.scalar("SELECT '" + name + "'::regclass::oid");
    }

    @Test
    void routinesRulesPoliciesAndSelfNamingDefaultsFollowTheTableUnderConcurrentWrites() throws Exception {
        db.execute(TwinWorkload.schema("acct", false));
        db.execute("CREATE FUNCTION public.acct_rows() RETURNS SETOF public.acct LANGUAGE plpgsql STABLE AS $$"
                        + " BEGIN RETURN QUERY SELECT * FROM public.acct; END $$",
                "CREATE FUNCTION public.acct_label(a public.acct) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a.id || ':' || a.v $$",
                "CREATE FUNCTION public.acct_ids(batch public.acct[]) RETURNS bigint[] LANGUAGE sql AS $$"
                        + " SELECT array_agg(b.id) FROM unnest(batch) b $$",
                "CREATE PROCEDURE public.acct_check(a public.acct) LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF a.id IS NULL THEN RAISE EXCEPTION 'no id'; END IF; END $$",
                "REVOKE ALL ON FUNCTION public.acct_rows() FROM PUBLIC",
                "GRANT EXECUTE ON FUNCTION public.acct_rows() TO " + reader,
                "COMMENT ON FUNCTION public.acct_label(public.acct) IS 'how a row is shown'",
                "CREATE FUNCTION public.acct_count() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM public.acct; END",
                "CREATE TABLE public.ledger (id bigserial PRIMARY KEY, acct_id bigint, amount int)",
                "CREATE RULE ledger_known AS ON INSERT TO public.ledger WHERE NOT EXISTS"
                        + " (SELECT 1 FROM public.acct a WHERE a.id = new.acct_id) DO INSTEAD NOTHING",
                "ALTER TABLE public.ledger ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY ledger_of_known ON public.ledger TO " + reader
                        + " USING (acct_id IN (SELECT id FROM public.acct)) WITH CHECK (amount > 0)",
                "CREATE TABLE public.self_named (id int PRIMARY KEY, src regclass NOT NULL DEFAULT 'public.self_named'::regclass,"
                        + " v text)",
                "INSERT INTO public.self_named (id, v) SELECT g, md5(g::text) FROM generate_series(1, 3000) g",
                "DELETE FROM public.self_named WHERE id % 3 = 0");
        db.writeConfig(home, "default", "main", """
                tables = ['public.acct', 'public.self_named']
                max_replay_rows = 300
                lock_timeout = "1s"
                check_time = "1"
                """);
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        try (TwinWorkload app = new TwinWorkload(db, "acct", false, 2)) {
            app.start(3000);
            Thread.sleep(300);
            String dumpBefore = db.schemaDump();
            Map<String, String> before = rows(List.of("public.self_named"));
            String acctOid = oid("public.acct");
            String selfOid = oid("public.self_named");
            String untypedRoutine = db.scalar("SELECT 'public.acct_count()'::regprocedure::oid");

            CliRun run = CliRun.run(home, "repack_tables");
            assertEquals(0, run.exitCode(), run::toString);
            Thread.sleep(300);
            app.close();
            assertTrue(app.errors.isEmpty(), () -> "the application failed: " + app.errors);
            assertNotEquals(acctOid, oid("public.acct"), "acct was swapped");
            assertNotEquals(selfOid, oid("public.self_named"), "self_named was swapped");
            SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump());
            assertEquals(before, rows(List.of("public.self_named")));
            db.assertEqualToTwin("acct");
            assertEquals(untypedRoutine, db.scalar("SELECT 'public.acct_count()'::regprocedure::oid"),
                    "a routine whose signature does not name the row type is replaced in place");
        }
        // The routines, the rule and the policy work on the new table.
        assertEquals(db.scalar("SELECT count(*) FROM public.acct"), db.scalar("SELECT count(*) FROM public.acct_rows()"));
        assertEquals(db.scalar("SELECT count(*) FROM public.acct"), db.scalar("SELECT public.acct_count()"));
        // A row whose v is not NULL: acct_label concatenates it, and the workload sets some to NULL.
        String someId = db.scalar("SELECT min(id) FROM public.acct WHERE v IS NOT NULL");
        assertEquals(someId + ":" + db.scalar("SELECT v FROM public.acct WHERE id = " + someId),
                db.scalar("SELECT public.acct_label(a) FROM public.acct a WHERE id = " + someId));
        db.execute("DO $$ DECLARE r public.acct; BEGIN SELECT * INTO r FROM public.acct WHERE id = " + someId + ";"
                        + " CALL public.acct_check(r); END $$",
                "INSERT INTO public.ledger (acct_id, amount) VALUES (" + someId + ", 5), (-1, 5)",
                "INSERT INTO public.self_named (id) VALUES (-1)");
        assertEquals("1", db.scalar("SELECT count(*) FROM public.ledger"), "the rule reads the new table");
        assertEquals(oid("public.self_named"), db.scalar("SELECT src::oid FROM public.self_named WHERE id = -1"),
                "the default names the new table");
        assertEquals("true", db.scalar("SELECT has_function_privilege('" + reader + "', 'public.acct_rows()', 'EXECUTE')::text"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace IN "
                + "('sch_repnew'::regnamespace, 'sch_repdrop'::regnamespace)"), "nothing left in the helper schemas");
        db.assertAmcheckClean();
    }

    /**
     * Pagila's customer: rewards_report() returns SETOF customer, SECURITY DEFINER, with dynamic
     * SQL; payment references customer, customer references address; a view and a trigger.
     */
    @Test
    void pagilasCustomerIsRepackedWithRewardsReportIntact() {
        db.execute("CREATE TABLE public.address (address_id serial PRIMARY KEY, address text NOT NULL)",
                """
                CREATE TABLE public.customer (
                    customer_id serial PRIMARY KEY,
                    store_id smallint NOT NULL,
                    first_name text NOT NULL,
                    last_name text NOT NULL,
                    email text,
                    address_id integer NOT NULL REFERENCES public.address ON UPDATE CASCADE ON DELETE RESTRICT,
                    activebool boolean NOT NULL DEFAULT true,
                    create_date date NOT NULL DEFAULT CURRENT_DATE,
                    last_update timestamptz DEFAULT now(),
                    active integer
                )""",
                "CREATE INDEX idx_last_name ON public.customer (last_name)",
                """
                CREATE TABLE public.payment (
                    payment_id serial PRIMARY KEY,
                    customer_id integer NOT NULL REFERENCES public.customer ON UPDATE CASCADE ON DELETE RESTRICT,
                    amount numeric(5,2) NOT NULL,
                    payment_date timestamptz NOT NULL
                )""",
                """
                CREATE FUNCTION public.last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.last_update = CURRENT_TIMESTAMP; RETURN NEW; END $$""",
                "CREATE TRIGGER last_updated BEFORE UPDATE ON public.customer FOR EACH ROW EXECUTE FUNCTION public.last_updated()",
                "CREATE VIEW public.customer_list AS SELECT cu.customer_id AS id, cu.first_name || ' ' || cu.last_name AS name,"
                        + " a.address FROM public.customer cu JOIN public.address a ON cu.address_id = a.address_id",
                """
                CREATE FUNCTION public.rewards_report(min_monthly_purchases integer, min_dollar_amount_purchased numeric)
                RETURNS SETOF public.customer LANGUAGE plpgsql SECURITY DEFINER AS $_$
                DECLARE
                    rr RECORD;
                BEGIN
                    IF min_monthly_purchases = 0 THEN
                        RAISE EXCEPTION 'Minimum monthly purchases parameter must be > 0';
                    END IF;
                    CREATE TEMPORARY TABLE tmpCustomer (customer_id INTEGER NOT NULL PRIMARY KEY);
                    EXECUTE 'INSERT INTO tmpCustomer (customer_id) SELECT p.customer_id FROM public.payment AS p'
                        || ' GROUP BY customer_id HAVING SUM(p.amount) > ' || min_dollar_amount_purchased
                        || ' AND COUNT(customer_id) > ' || min_monthly_purchases;
                    FOR rr IN EXECUTE 'SELECT c.* FROM tmpCustomer AS t INNER JOIN public.customer AS c'
                                      || ' ON t.customer_id = c.customer_id' LOOP
                        RETURN NEXT rr;
                    END LOOP;
                    EXECUTE 'DROP TABLE tmpCustomer';
                    RETURN;
                END
                $_$""",
                "INSERT INTO public.address (address) SELECT 'street ' || g FROM generate_series(1, 100) g",
                "INSERT INTO public.customer (store_id, first_name, last_name, email, address_id, active)"
                        + " SELECT 1 + g % 2, 'first' || g, 'last' || g, 'c' || g || '@example.org', 1 + g % 100, 1"
                        + " FROM generate_series(1, 6000) g",
                "INSERT INTO public.payment (customer_id, amount, payment_date)"
                        + " SELECT 1 + g % 600, (g % 10) + 0.99, '2024-01-01'::timestamptz + g * interval '1 minute'"
                        + " FROM generate_series(1, 20000) g",
                "DELETE FROM public.customer c WHERE customer_id % 2 = 0"
                        + " AND NOT EXISTS (SELECT 1 FROM public.payment p WHERE p.customer_id = c.customer_id)");
        db.writeConfig(home, "default", "main", "tables = ['public.customer']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        String dumpBefore = db.schemaDump();
        Map<String, String> before = rows(List.of("public.customer"));
        String report = "SELECT md5(string_agg(r::text, '|' ORDER BY r.customer_id)) FROM public.rewards_report(30, 100) r";
        String reportBefore = db.scalar(report);
        String customerOid = oid("public.customer");

        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("public.customer") && run.out().contains("repacked"), run::toString);
        assertNotEquals(customerOid, oid("public.customer"));
        SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump());
        assertEquals(before, rows(List.of("public.customer")));
        assertEquals(reportBefore, db.scalar(report), "rewards_report() returns the same customers from the new table");
        assertTrue(Long.parseLong(db.scalar("SELECT count(*) FROM public.rewards_report(30, 100)")) > 0);
        db.assertAmcheckClean();
    }
}
