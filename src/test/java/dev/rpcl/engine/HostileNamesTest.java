package dev.rpcl.engine;

import static dev.rpcl.db.Sql.ident;
import static dev.rpcl.db.Sql.literal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
 * Names a table owner chose are data to rpcl: schema, table, key and other columns, indexes,
 * constraints, triggers, policies, views, sequences and comments holding dollar quotes (rpcl's own
 * tag among them), single and double quotes, backslashes, semicolons and newlines go through
 * prepare_repack, the application's writes, and repack_tables into every statement rpcl
 * generates (trigger functions for tables and partitions, the copy, the replay, the swap's
 * carriers), and come out the same, and none of them runs as SQL. The database runs with
 * check_function_bodies off, as an owner of the database may set it, so that a body closed early
 * would not be caught when the function is created.
 */
@Timeout(180)
class HostileNamesTest {
    static TestDatabase db;

    @TempDir
    Path home;

    static final String SCHEMA = "s'$rpcl$\\\n\"x";
    static final String TABLE = "t$rpcl$;CREATE TABLE public.pwned_t();--'\\";
    static final String KEY = "k$rpcl$;CREATE TABLE public.pwned_k();SELECT $rpcl$";
    static final String VALUE = "v'\\\n$$;--";
    static final String INDEX = "i$rpcl$'\\\n";
    static final String CHECK = "c$$'\\;";
    static final String TRIGGER = "tr$rpcl$'";
    static final String POLICY = "p$rpcl$'\\\n";
    static final String VIEW = "v$rpcl$;CREATE TABLE public.pwned_v();--";
    static final String PARENT = "p$rpcl$;CREATE TABLE public.pwned_p();--";
    static final String PARTITION = "leaf$rpcl$';CREATE TABLE public.pwned_l();--";
    static final String COMMENT = "comment $rpcl$ ' \\ \n $$ ;CREATE TABLE public.pwned_c(); end";

    static String table() {
        return ident(SCHEMA) + "." + ident(TABLE);
    }

    static String partition() {
        return ident(SCHEMA) + "." + ident(PARTITION);
    }

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(HostileNamesTest.class);
        db.executeAsAdmin("ALTER DATABASE " + db.name() + " SET check_function_bodies = off");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void namesThatCloseQuotesAreCarriedAsNamesAndNeverRunAsSql() {
        db.execute("CREATE SCHEMA " + ident(SCHEMA),
                "CREATE TABLE " + table() + " (" + ident(KEY) + " int PRIMARY KEY, " + ident(VALUE) + " text CONSTRAINT "
                        + ident(CHECK) + " CHECK (" + ident(VALUE) + " <> " + literal(COMMENT) + "), n bigserial)",
                "CREATE INDEX " + ident(INDEX) + " ON " + table() + " (" + ident(VALUE) + ")",
                "CREATE FUNCTION " + ident(SCHEMA) + ".touch() RETURNS trigger LANGUAGE plpgsql AS $f$BEGIN RETURN NEW; END$f$",
                "CREATE TRIGGER " + ident(TRIGGER) + " BEFORE UPDATE ON " + table() + " FOR EACH ROW EXECUTE FUNCTION "
                        + ident(SCHEMA) + ".touch()",
                "ALTER TABLE " + table() + " ENABLE ROW LEVEL SECURITY",
                "CREATE POLICY " + ident(POLICY) + " ON " + table() + " USING (" + ident(VALUE) + " IS DISTINCT FROM "
                        + literal(COMMENT) + ")",
                "CREATE VIEW " + ident(SCHEMA) + "." + ident(VIEW) + " AS SELECT " + ident(KEY) + ", " + ident(VALUE) + " AS "
                        + ident(COMMENT.substring(0, 40)) + " FROM " + table(),
                "COMMENT ON TABLE " + table() + " IS " + literal(COMMENT),
                "COMMENT ON COLUMN " + table() + "." + ident(KEY) + " IS " + literal(COMMENT),
                "COMMENT ON INDEX " + ident(SCHEMA) + "." + ident(INDEX) + " IS " + literal(COMMENT),
                "COMMENT ON TRIGGER " + ident(TRIGGER) + " ON " + table() + " IS " + literal(COMMENT),
                "COMMENT ON POLICY " + ident(POLICY) + " ON " + table() + " IS " + literal(COMMENT),
                "INSERT INTO " + table() + " (" + ident(KEY) + ", " + ident(VALUE) + ") SELECT g, " + literal(VALUE)
                        + " || g FROM generate_series(1, 2000) g",
                "DELETE FROM " + table() + " WHERE " + ident(KEY) + " % 2 = 0",
                // A partition: its change log is written by row functions whose bodies compare the keys.
                "CREATE TABLE " + ident(SCHEMA) + "." + ident(PARENT) + " (" + ident(KEY) + " int, " + ident(VALUE) + " text, "
                        + "PRIMARY KEY (" + ident(KEY) + ")) PARTITION BY RANGE (" + ident(KEY) + ")",
                "CREATE TABLE " + partition() + " PARTITION OF " + ident(SCHEMA) + "." + ident(PARENT)
                        + " FOR VALUES FROM (0) TO (100000)",
                "INSERT INTO " + ident(SCHEMA) + "." + ident(PARENT) + " SELECT g, " + literal(VALUE) + " FROM generate_series(1, 2000) g",
                "DELETE FROM " + partition() + " WHERE " + ident(KEY) + " % 2 = 0",
                "ANALYZE");
        String dumpBefore = db.schemaDump();
        String tableOid = oid(table());
        String partitionOid = oid(partition());
        db.writeConfig(home, "default", "main", "tables = [" + toml(SCHEMA + "." + TABLE) + ", " + toml(SCHEMA + "." + PARTITION)
                + "]\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        CliRun prepared = CliRun.run(home, "prepare_repack");
        assertEquals(0, prepared.exitCode(), prepared::toString);

        // The application writes through the names while the tables are prepared: logged, replayed.
        for (String t : List.of(table(), partition())) {
            db.execute("UPDATE " + t + " SET " + ident(VALUE) + " = " + literal(COMMENT + "!") + " WHERE " + ident(KEY) + " % 5 = 0",
                    "UPDATE " + t + " SET " + ident(KEY) + " = " + ident(KEY) + " + 50000 WHERE " + ident(KEY) + " % 7 = 0",
                    "DELETE FROM " + t + " WHERE " + ident(KEY) + " % 11 = 0",
                    "INSERT INTO " + t + " (" + ident(KEY) + ", " + ident(VALUE) + ") VALUES (90001, " + literal(VALUE) + ")");
        }
        List<List<String>> rows = rows(table());
        List<List<String>> partitionRows = rows(partition());

        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(tableOid, oid(table()), "the table was repacked");
        assertNotEquals(partitionOid, oid(partition()), "the partition was repacked");
        assertEquals(rows, rows(table()));
        assertEquals(partitionRows, rows(partition()));
        String dumpAfter = db.schemaDump();
        if (!dumpBefore.equals(dumpAfter)) {
            try {
                java.nio.file.Files.writeString(Path.of("target/hostile-before.sql"), dumpBefore);
                java.nio.file.Files.writeString(Path.of("target/hostile-after.sql"), dumpAfter);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        assertEquals(dumpBefore, dumpAfter, "pg_dump --schema-only before and after (target/hostile-*.sql)");
        assertEquals("[]", db.query("SELECT relname FROM pg_class WHERE relname LIKE 'pwned%'").toString(),
                "no name ran as SQL");
    }

    @Test
    void keyColumnsNamedLikeTheChangeLogsOwnColumnsAreRepacked() {
        db.execute("CREATE TABLE public.own_names (i_id int, i_xid int, b_truncate boolean, k1 text,"
                        + " PRIMARY KEY (i_id, i_xid, b_truncate))",
                "INSERT INTO public.own_names SELECT g, g % 7, g % 2 = 0, 'v' || g FROM generate_series(1, 3000) g",
                "DELETE FROM public.own_names WHERE i_id % 3 = 0");
        String before = oid("public.own_names");
        db.writeConfig(home, "default", "main", "tables = ['public.own_names']\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        assertEquals(0, CliRun.run(home, "prepare_repack").exitCode());
        db.execute("UPDATE public.own_names SET k1 = 'changed', i_xid = i_xid + 100 WHERE i_id % 5 = 0",
                "DELETE FROM public.own_names WHERE i_id % 11 = 0",
                "INSERT INTO public.own_names VALUES (90000, 1, true, 'new')");
        List<List<String>> rows = rows("public.own_names");
        CliRun run = CliRun.run(home, "repack_tables");
        assertEquals(0, run.exitCode(), run::toString);
        assertNotEquals(before, oid("public.own_names"));
        assertEquals(rows, rows("public.own_names"));
    }

    /** A TOML basic string. */
    private static String toml(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    private static String oid(String qualified) {
        return db.scalar("SELECT " + literal(qualified) + "::regclass::oid");
    }

    private static List<List<String>> rows(String t) {
        return db.query("SELECT * FROM " + t + " ORDER BY 1");
    }
}
