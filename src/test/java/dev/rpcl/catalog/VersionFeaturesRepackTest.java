package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each PostgreSQL version added to a table, carried over by a real repack_tables on that
 * version (scripts/test-matrix runs this class on 14 to 19): 15's NULLS NOT DISTINCT; 17's
 * MAINTAIN privilege and its NULL default statistics targets; 18's named, NOT VALID and NO
 * INHERIT NOT NULL constraints, NOT ENFORCED checks and foreign keys, virtual generated columns,
 * keys WITHOUT OVERLAPS with PERIOD foreign keys, uuidv7 defaults; 19's autovacuum_parallel_workers,
 * default GiST inet indexes, statistics on virtual columns, CHECKs made NOT ENFORCED. prepare_repack then
 * abort_repack leaves pg_dump --schema-only as it was; repack_tables leaves it as it was and every
 * row as it was.
 */
@Timeout(300)
class VersionFeaturesRepackTest {
    static TestDatabase db;
    static Roles roles;
    static int major;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(VersionFeaturesRepackTest.class);
        roles = new Roles(db, "maint");
        major = Integer.parseInt(db.scalar("SHOW server_version_num")) / 10000;
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
        roles.close();
    }

    /** The tables to repack, each created with what this version allows, bloated. */
    private static List<String> createTables() {
        List<String> tables = new ArrayList<>();
        String maint = roles.name("maint");
        db.execute("""
                CREATE TABLE public.accounts (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email text,
                    amount numeric NOT NULL CONSTRAINT accounts_amount_positive CHECK (amount >= 0),
                    note text,
                    CONSTRAINT accounts_email_key UNIQUE %s (email)
                )""".formatted(major >= 15 ? "NULLS NOT DISTINCT" : ""),
                "CREATE INDEX accounts_note ON public.accounts (note) WHERE note IS NOT NULL",
                "ALTER TABLE public.accounts ALTER COLUMN note SET STATISTICS 300",
                "INSERT INTO public.accounts (email, amount, note) SELECT CASE WHEN g = 1 THEN NULL ELSE 'a' || g END, g,"
                        + " CASE WHEN g % 4 = 0 THEN 'n' || g END FROM generate_series(1, 3000) g",
                "DELETE FROM public.accounts WHERE id % 3 = 0");
        tables.add("public.accounts");
        if (major >= 17) {
            db.execute("GRANT MAINTAIN ON public.accounts TO " + maint,
                    // 17 stores the default target as NULL, and SET STATISTICS DEFAULT is how it is spelled.
                    "ALTER TABLE public.accounts ALTER COLUMN amount SET STATISTICS 50",
                    "ALTER TABLE public.accounts ALTER COLUMN amount SET STATISTICS DEFAULT");
        }
        if (major >= 18) {
            db.executeAsAdmin("CREATE EXTENSION IF NOT EXISTS btree_gist");
            db.execute("""
                    CREATE TABLE public.named_not_null (
                        id int PRIMARY KEY,
                        a int CONSTRAINT named_not_null_a_chosen NOT NULL,
                        b int NOT NULL NO INHERIT,
                        c int,
                        account bigint,
                        u uuid NOT NULL DEFAULT uuidv7(),
                        CONSTRAINT named_not_null_a_positive CHECK (a > 0) NOT ENFORCED,
                        CONSTRAINT named_not_null_account_fk FOREIGN KEY (account) REFERENCES public.accounts (id) NOT ENFORCED
                    )""",
                    // Rows with NULLs under a NOT VALID NOT NULL: the copy must keep both.
                    "INSERT INTO public.named_not_null (id, a, b, c, account) SELECT g, g - 5, g, CASE WHEN g % 10 <> 0 THEN g END,"
                            + " g + 1000000 FROM generate_series(1, 3000) g",
                    "ALTER TABLE public.named_not_null ADD CONSTRAINT named_not_null_c_later NOT NULL c NOT VALID",
                    "DELETE FROM public.named_not_null WHERE id % 3 = 0",
                    // A virtual generated column: the copy is made by LIKE, which validates NOT NULL NOT VALID.
                    """
                    CREATE TABLE public.virtual_cols (
                        id int PRIMARY KEY,
                        price numeric NOT NULL,
                        qty int,
                        total numeric GENERATED ALWAYS AS (price * qty) VIRTUAL,
                        stored numeric GENERATED ALWAYS AS (price * 2) STORED
                    )""",
                    "INSERT INTO public.virtual_cols (id, price, qty) SELECT g, g, CASE WHEN g % 7 <> 0 THEN g END"
                            + " FROM generate_series(1, 3000) g",
                    "ALTER TABLE public.virtual_cols ADD CONSTRAINT virtual_cols_qty_later NOT NULL qty NOT VALID",
                    "DELETE FROM public.virtual_cols WHERE id % 3 = 0",
                    """
                    CREATE TABLE public.rooms (
                        id int,
                        valid_at daterange,
                        name text NOT NULL,
                        CONSTRAINT rooms_pk PRIMARY KEY (id, valid_at WITHOUT OVERLAPS),
                        CONSTRAINT rooms_exact UNIQUE (id, valid_at)
                    )""",
                    """
                    CREATE TABLE public.bookings (
                        id int PRIMARY KEY,
                        room int NOT NULL,
                        valid_at daterange NOT NULL,
                        CONSTRAINT bookings_room_fk FOREIGN KEY (room, PERIOD valid_at) REFERENCES public.rooms (id, PERIOD valid_at),
                        CONSTRAINT bookings_unique_at UNIQUE (room, valid_at WITHOUT OVERLAPS)
                    )""",
                    "INSERT INTO public.rooms SELECT g, daterange('2024-01-01', '2026-01-01'), 'r' || g FROM generate_series(1, 2000) g",
                    "INSERT INTO public.bookings SELECT g, g, daterange('2024-03-01', '2024-03-05') FROM generate_series(1, 2000) g",
                    "DELETE FROM public.bookings WHERE id % 3 = 0",
                    "DELETE FROM public.rooms r WHERE id % 3 = 0 AND NOT EXISTS (SELECT 1 FROM public.bookings b WHERE b.room = r.id)");
            tables.addAll(List.of("public.named_not_null", "public.virtual_cols", "public.rooms", "public.bookings"));
        }
        if (major >= 19) {
            db.execute("ALTER TABLE public.accounts SET (autovacuum_parallel_workers = 2)",
                    "ALTER TABLE public.accounts ADD COLUMN addr inet",
                    "UPDATE public.accounts SET addr = ('10.0.' || (id % 250) || '.1')::inet WHERE id % 5 = 0",
                    // 19 has a default GiST operator class for inet, and its definition no longer names one.
                    "CREATE INDEX accounts_addr ON public.accounts USING gist (addr)",
                    // Extended statistics on a virtual generated column are 19's.
                    "CREATE STATISTICS public.virtual_cols_total (ndistinct) ON price, total FROM public.virtual_cols",
                    // 19 can switch a CHECK to NOT ENFORCED after the fact.
                    "ALTER TABLE public.accounts ALTER CONSTRAINT accounts_amount_positive NOT ENFORCED");
        }
        db.execute("ANALYZE");
        return tables;
    }

    private static Map<String, String> rowsAndOids(List<String> tables) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String t : tables) {
            out.put(t, db.scalar("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM " + t + " x"));
        }
        return out;
    }

    private static String oid(String table) {
        return db.scalar("SELECT '" + table + "'::regclass::oid");
    }

    @Test
    void thisVersionsTableFeaturesSurvivePrepareAbortAndRepackExactly() {
        List<String> tables = createTables();
        String dumpBefore = db.schemaDump();
        Map<String, String> rowsBefore = rowsAndOids(tables);
        Map<String, String> oidsBefore = new LinkedHashMap<>();
        tables.forEach(t -> oidsBefore.put(t, oid(t)));
        db.writeConfig(home, "default", "main", "tables = [" + String.join(", ", tables.stream().map(t -> "'" + t + "'").toList())
                + "]\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());

        CliRun prepared = CliRun.run(home, "prepare_repack");
        assertEquals(0, prepared.exitCode(), prepared::toString);
        CliRun aborted = CliRun.run(home, "abort_repack");
        assertEquals(0, aborted.exitCode(), aborted::toString);
        SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump(), null); // after prepare_repack, then abort_repack

        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        SchemaDiff.assertSameSchema(dumpBefore, db.schemaDump(), null); // after repack_tables
        assertEquals(rowsBefore, rowsAndOids(tables), "every row of every table");
        for (String t : tables) {
            assertNotEquals(oidsBefore.get(t), oid(t), t + " was swapped");
        }
        if (major >= 17) {
            assertEquals("true", db.scalar("SELECT has_table_privilege('" + roles.name("maint") + "', 'public.accounts', 'MAINTAIN')::text"));
        }
        if (major >= 18) {
            assertEquals("named_not_null_c_later|false", db.scalar("SELECT conname || '|' || convalidated::text FROM pg_constraint"
                    + " WHERE conrelid = 'public.named_not_null'::regclass AND contype = 'n' AND conkey = '{4}'"),
                    "the NOT VALID NOT NULL stays NOT VALID, by name, over its NULLs");
            assertEquals("true", db.scalar("SELECT connoinherit::text FROM pg_constraint WHERE conrelid = 'public.named_not_null'::regclass"
                    + " AND contype = 'n' AND conkey = '{3}'"));
            assertEquals("false", db.scalar("SELECT conenforced::text FROM pg_constraint WHERE conname = 'named_not_null_account_fk'"));
            assertTrue(db.query("SELECT 1 FROM public.virtual_cols WHERE total IS DISTINCT FROM price * qty").isEmpty());
            assertEquals("true", db.scalar("SELECT conperiod::text FROM pg_constraint WHERE conname = 'rooms_pk'"));
            assertEquals("true", db.scalar("SELECT convalidated::text FROM pg_constraint WHERE conname = 'bookings_room_fk'"),
                    "the PERIOD foreign key to the swapped table is validated again");
        }
    }

    @Test
    void aTableKeyedOnlyWithoutOverlapsIsSkippedWithTheReasonBeforeAnythingIsCopied() {
        if (major < 18) {
            return; // keys WITHOUT OVERLAPS are 18's
        }
        db.execute("CREATE EXTENSION IF NOT EXISTS btree_gist");
        db.execute("CREATE TABLE public.only_temporal (id int, valid_at daterange, PRIMARY KEY (id, valid_at WITHOUT OVERLAPS))",
                "INSERT INTO public.only_temporal SELECT g, daterange('2024-01-01', '2025-01-01') FROM generate_series(1, 500) g");
        String before = oid("public.only_temporal");
        db.writeConfig(home, "default", "main", "tables = ['public.only_temporal']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun run = CliRun.run(home, "repack_tables");
        assertTrue(run.toString().contains("WITHOUT OVERLAPS"), run::toString);
        assertEquals(before, oid("public.only_temporal"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
    }
}
