package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What rpcl cannot carry over refuses the table before the copy, naming the object. */
@Timeout(60)
class BlockersTest {
    static TestDatabase db;
    static Roles roles;
    static String stranger;
    static String member;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(BlockersTest.class);
        roles = new Roles(db, "stranger", "member");
        stranger = roles.name("stranger");
        member = roles.name("member");
        db.executeAsAdmin("GRANT " + member + " TO " + db.owner());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    private static List<String> blockers(String table) throws SQLException {
        return blockers("public", table);
    }

    private static List<String> blockers(String schema, String table) throws SQLException {
        try (Connection c = db.ownerConnection()) {
            long oid = SwapSimulator.oid(c, schema + "." + table);
            return SwapSimulator.blockers(db, new TableRef(oid, schema, table, "sch_repnew", "copy_" + oid));
        }
    }

    private static void assertBlocked(List<String> blockers, String... fragments) {
        String all = String.join("\n", blockers);
        for (String f : fragments) {
            assertTrue(all.contains(f), "expected a blocker mentioning \"" + f + "\" in:\n" + all);
        }
    }

    @Test
    void aTableWithNothingUnusualHasNoBlockers() throws SQLException {
        db.execute("CREATE TABLE public.simple (id int PRIMARY KEY, v text)", "CREATE VIEW public.simple_v AS SELECT * FROM public.simple");
        assertEquals(List.of(), blockers("simple"));
    }

    @Test
    void objectsUsingTheRowTypeAreNamed() throws SQLException {
        db.execute("CREATE TABLE public.people (id int PRIMARY KEY, first text, last text)",
                "CREATE FUNCTION public.full_name(p public.people) RETURNS text LANGUAGE sql AS $$ SELECT p.first || ' ' || p.last $$",
                "CREATE FUNCTION public.all_people() RETURNS SETOF public.people LANGUAGE sql AS $$ SELECT * FROM public.people $$",
                "CREATE TABLE public.people_history (at timestamptz, person public.people)",
                "CREATE TABLE public.people_batches (members public.people[])",
                "CREATE DOMAIN public.person AS public.people");
        List<String> found = blockers("people");
        assertBlocked(found,
                "column person of table people_history uses the table's row type",
                "column members of table people_batches uses the table's row type",
                "type person uses the table's row type");
        assertFalse(String.join("\n", found).contains("function"), "routines using the row type are recreated: " + found);
    }

    @Test
    void aRoutineOfTheRowTypeThatCannotBeDroppedAndCreatedAgainIsNamed() throws SQLException {
        db.execute("CREATE TABLE public.items (id int PRIMARY KEY, v text)",
                "CREATE FUNCTION public.all_items() RETURNS SETOF public.items LANGUAGE sql AS $$ SELECT * FROM public.items $$",
                "CREATE VIEW public.item_list AS SELECT * FROM public.all_items()");
        assertBlocked(blockers("items"), "function all_items() uses the row type of table public.items",
                "view item_list depends on it");
    }

    @Test
    void rulesPoliciesRoutinesAndChildrenOfOtherTablesDoNotBlockButAChildWhoseParentOrderWouldChangeDoes() throws SQLException {
        db.execute("CREATE TABLE public.stock (id int PRIMARY KEY, qty int)",
                "CREATE TABLE public.moves (id int PRIMARY KEY, stock_id int)",
                "CREATE RULE moves_book AS ON INSERT TO public.moves DO ALSO UPDATE public.stock SET qty = qty - 1 WHERE id = new.stock_id",
                "ALTER TABLE public.moves ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY moves_known ON public.moves USING (stock_id IN (SELECT id FROM public.stock))",
                "CREATE FUNCTION public.stock_total() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT sum(qty) FROM public.stock; END",
                "CREATE TABLE public.stock_archive () INHERITS (public.stock)");
        assertEquals(List.of(), blockers("stock"), "rules, policies, routines and children of the table are carried over");
        assertEquals(List.of(), blockers("stock_archive"), "a child goes under its parents again");
        db.execute("CREATE TABLE public.audited (audited_at timestamptz)",
                "CREATE TABLE public.stock_audit () INHERITS (public.stock, public.audited)");
        assertBlocked(blockers("stock"), "table public.stock_audit inherits from public.stock and from other tables after it");
        assertEquals(List.of(), blockers("audited"), "the last of a child's parents can be repacked");
    }

    @Test
    void anInvalidIndexIsNamedRatherThanDroppedOrRebuilt() throws SQLException {
        db.execute("CREATE TABLE public.half_indexed (id int PRIMARY KEY, code text)",
                "INSERT INTO public.half_indexed VALUES (1, 'a'), (2, 'a')");
        assertThrows(IllegalStateException.class,
                () -> db.execute("CREATE UNIQUE INDEX CONCURRENTLY half_indexed_code ON public.half_indexed (code)"));
        assertBlocked(blockers("half_indexed"), "index half_indexed_code is invalid", "REINDEX INDEX CONCURRENTLY");
        db.execute("DROP INDEX public.half_indexed_code");
        assertEquals(List.of(), blockers("half_indexed"));
    }

    @Test
    void anObjectTheDropWouldTakeAlongIsFoundAgainInsideTheSwap() throws SQLException {
        db.execute("CREATE TABLE public.watched (id int PRIMARY KEY)", "CREATE TABLE public.watcher (id int)",
                "CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
                // Depends on watched automatically: DROP TABLE watched would drop it silently.
                "CREATE CONSTRAINT TRIGGER watcher_check AFTER INSERT ON public.watcher FROM public.watched FOR EACH ROW"
                        + " EXECUTE FUNCTION public.noop()");
        assertBlocked(blockers("watched"), "trigger watcher_check on table watcher depends on table public.watched");
        try (Connection c = db.ownerConnection()) {
            long oid = SwapSimulator.oid(c, "public.watched");
            TableRef ref = new TableRef(oid, "public", "watched", "sch_repnew", "copy_" + oid);
            RpclException e = assertThrows(RpclException.class, () -> new UnhandledDependents().capture(c, ref));
            assertTrue(e.getMessage().contains("watcher_check") && e.getMessage().contains("was not swapped"), e::getMessage);
        }
    }

    @Test
    void forcedRowLevelSecurityWouldHideRowsFromTheCopy() throws SQLException {
        db.execute("CREATE TABLE public.secrets (id int PRIMARY KEY)", "ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE public.secrets FORCE ROW LEVEL SECURITY");
        assertBlocked(blockers("secrets"), "table public.secrets has FORCE ROW LEVEL SECURITY", "BYPASSRLS");
    }

    @Test
    void rolesRpclCannotActAsAreNamed() throws SQLException {
        db.execute("CREATE TABLE public.shared (id int PRIMARY KEY, v text)",
                "CREATE PUBLICATION shared_pub FOR TABLE public.shared",
                "CREATE TABLE public.theirs (id int PRIMARY KEY)");
        db.executeAsAdmin("ALTER PUBLICATION shared_pub OWNER TO " + stranger,
                "GRANT SELECT ON public.shared TO " + stranger + " WITH GRANT OPTION",
                "SET ROLE " + stranger, "GRANT SELECT ON public.shared TO " + member, "RESET ROLE",
                "CREATE VIEW public.shared_view AS SELECT * FROM public.shared",
                "ALTER VIEW public.shared_view OWNER TO " + stranger,
                "ALTER TABLE public.theirs OWNER TO " + stranger,
                "CREATE TABLE public.their_refs (id int PRIMARY KEY, shared_id int REFERENCES public.shared)",
                "ALTER TABLE public.their_refs OWNER TO " + stranger);
        assertBlocked(blockers("shared"),
                "table public.shared is in publication shared_pub, owned by role " + stranger,
                "privileges on table public.shared were granted by role " + stranger,
                "table public.shared cannot be swapped: view shared_view reads it and is owned by role " + stranger,
                "foreign key their_refs_shared_id_fkey of table public.their_refs references table public.shared, and only"
                        + " that table's owner " + stranger + " may point it at the new table");
        assertBlocked(blockers("theirs"), "table public.theirs is owned by role " + stranger + ", and rpcl's user is not a member");
    }

    @Test
    void aPublicationOfAllTablesWouldSendTheCopyToSubscribers() throws SQLException {
        db.execute("CREATE TABLE public.published (id int PRIMARY KEY)");
        db.executeAsAdmin("CREATE PUBLICATION everything FOR ALL TABLES");
        try {
            assertBlocked(blockers("published"), "publication everything publishes all tables");
        } finally {
            db.executeAsAdmin("DROP PUBLICATION everything");
        }
        assertEquals(List.of(), blockers("published"));
    }

    @Test
    void aTableOfAnotherAccessMethodIsRefused() throws SQLException {
        db.executeAsAdmin("CREATE ACCESS METHOD heap_alias TYPE TABLE HANDLER heap_tableam_handler");
        db.execute("CREATE TABLE public.other_am (id int PRIMARY KEY) USING heap_alias");
        assertBlocked(blockers("other_am"), "table public.other_am uses the table access method heap_alias");
    }

    @Test
    void anOwnerWithoutCreateOnTheSchemaIsNamed() throws SQLException {
        // A schema of the owner's: on 14, PUBLIC may create in schema public.
        db.execute("CREATE SCHEMA owned", "CREATE TABLE owned.members_table (id int PRIMARY KEY)");
        db.executeAsAdmin("ALTER TABLE owned.members_table OWNER TO " + member);
        assertBlocked(blockers("owned", "members_table"), "the owner " + member + " of table owned.members_table has no CREATE privilege on schema owned");
    }
}
