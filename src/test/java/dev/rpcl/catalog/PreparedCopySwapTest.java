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

/**
 * The carriers' prepare stage gives the copy its grants, comments, options and statistics targets
 * before the swap's lock, so that the swap has nothing of those left to run; and what the user
 * changes on the original between the prepare and the swap still ends up on the swapped table.
 */
@Timeout(120)
class PreparedCopySwapTest {
    static TestDatabase db;
    static Roles roles;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(PreparedCopySwapTest.class);
        roles = new Roles(db, "reader", "writer", "auditor");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    private static void createLedger(String table) {
        String reader = roles.name("reader");
        String writer = roles.name("writer");
        db.execute("CREATE TABLE public." + table + " (id bigint PRIMARY KEY, account text NOT NULL, amount numeric NOT NULL)"
                        + " WITH (toast.autovacuum_vacuum_scale_factor = 0.01)",
                "CREATE INDEX " + table + "_account ON public." + table + " (account, lower(account))",
                "ALTER INDEX public." + table + "_account ALTER COLUMN 2 SET STATISTICS 300",
                "ALTER TABLE public." + table + " CLUSTER ON " + table + "_account",
                "ALTER TABLE public." + table + " ALTER COLUMN account SET STATISTICS 500, ALTER COLUMN account SET STORAGE MAIN",
                "ALTER TABLE public." + table + " REPLICA IDENTITY FULL",
                "GRANT SELECT ON public." + table + " TO " + reader,
                "GRANT SELECT, INSERT ON public." + table + " TO " + writer + " WITH GRANT OPTION",
                "COMMENT ON TABLE public." + table + " IS 'money moves'",
                "COMMENT ON COLUMN public." + table + ".amount IS 'in cents'",
                "INSERT INTO public." + table + " SELECT g, 'a' || g % 10, g FROM generate_series(1, 500) g");
    }

    @Test
    void aPreparedCopyLeavesTheSwapNothingOfItsGrantsCommentsAndOptionsToRun() throws Exception {
        createLedger("ledger");
        TableRef ref = SwapSimulator.prepare(db, "public", "ledger");
        String before = db.schemaDump();

        List<String> prepared = SwapSimulator.prepareCopy(db, ref);
        assertFalse(prepared.isEmpty(), "the copy was prepared");
        assertEquals(List.of(), SwapSimulator.prepareCopy(db, ref), "a second prepare finds nothing left to do");
        List<String> left = SwapSimulator.captured(db, ref);
        assertTrue(left.stream().noneMatch(s -> s.startsWith("GRANT") || s.startsWith("REVOKE") || s.startsWith("COMMENT ON TABLE")
                || s.startsWith("COMMENT ON COLUMN") || s.startsWith("ALTER INDEX") || s.startsWith("ALTER TABLE")),
                () -> "left for the swap: " + left);

        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
    }

    @Test
    void changesToTheOriginalAfterThePrepareReachTheSwappedTable() throws Exception {
        createLedger("journal");
        TableRef ref = SwapSimulator.prepare(db, "public", "journal");
        SwapSimulator.prepareCopy(db, ref);
        // The user changes the original while the copy waits for its swap.
        db.execute("REVOKE INSERT ON public.journal FROM " + roles.name("writer") + " CASCADE",
                "REVOKE ALL ON public.journal FROM " + roles.name("reader"),
                "GRANT UPDATE ON public.journal TO " + roles.name("auditor"),
                "GRANT SELECT (amount) ON public.journal TO " + roles.name("reader"),
                "COMMENT ON TABLE public.journal IS 'money moves, audited'",
                "COMMENT ON COLUMN public.journal.amount IS NULL",
                "ALTER TABLE public.journal RESET (toast.autovacuum_vacuum_scale_factor)",
                "ALTER TABLE public.journal ALTER COLUMN account SET STATISTICS 50, SET WITHOUT CLUSTER, REPLICA IDENTITY DEFAULT",
                "ALTER INDEX public.journal_account ALTER COLUMN 2 SET STATISTICS 20");
        String before = db.schemaDump();

        SwapSimulator.Swap swap = SwapSimulator.swap(db, ref);
        SchemaDiff.assertSameSchema(before, db.schemaDump(), swap);
        assertFalse(roles.may(roles.name("reader"), "SELECT id FROM public.journal"), "the revoked grant did not come back");
        assertTrue(roles.may(roles.name("reader"), "SELECT amount FROM public.journal"), "the new column grant was carried");
    }
}
