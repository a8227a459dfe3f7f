package dev.rpcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class HelperSchemaCommandsTest {
    static TestDatabase db;

    @TempDir
    Path home;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(HelperSchemaCommandsTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void startWithoutHelperSchemas() {
        db.executeAsAdmin("DROP SCHEMA IF EXISTS sch_repnew CASCADE", "DROP SCHEMA IF EXISTS sch_repdrop CASCADE",
                "DROP SCHEMA IF EXISTS sch_repcloud CASCADE");
        db.writeConfig(home, "default", "main", "");
    }

    private static String helperSchemaCount() {
        return db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('sch_repcloud','sch_repnew','sch_repdrop')");
    }

    private static String oneErrorLine(CliRun run, int exitCode) {
        assertEquals(exitCode, run.exitCode(), run::toString);
        List<String> errors = run.err().lines().filter(l -> l.startsWith("rpcl: error:")).toList();
        assertEquals(1, errors.size(), run::toString);
        assertFalse(run.err().contains("\tat "), run::toString);
        return errors.get(0);
    }

    private void writePidFile(String kind, long pid) throws IOException {
        Files.createDirectories(home.resolve("pid"));
        Files.writeString(home.resolve("pid").resolve(kind + "_default.pid"), pid + "\n");
    }

    @Test
    void createSchemaAsNonSuperuserOwnerCreatesTheThreeHelperSchemas() throws IOException {
        CliRun run = CliRun.run(home, "create_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("main: Created the helper schemas sch_repcloud, sch_repnew, sch_repdrop in database " + db.name() + ".\n",
                run.out(), run::toString);
        assertEquals("3", helperSchemaCount());
        assertEquals("0", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
        assertEquals(db.owner(), db.scalar("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'sch_repcloud'"));

        String log = Files.readString(home.resolve("logs/repack_default.log"));
        assertTrue(log.contains("rpcl create_schema with configuration " + home.resolve("config/default.toml")), log);
        assertTrue(log.contains("Created the helper schemas in database " + db.name() + " (connection main)"), log);
    }

    @Test
    void createSchemaWarnsAndChangesNothingWhenPresent() {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        db.execute("INSERT INTO sch_repcloud.t_table_repack (oid_old_table, v_schema_name, v_old_table_name, v_new_table_name,"
                + " v_log_table_name, t_tab_pk) VALUES (1, 's', 't', 'new_1', 'log_1', '{id}')");
        CliRun again = CliRun.run(home, "create_schema");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(again.out().contains("already present in database " + db.name() + "; nothing changed"), again::toString);
        assertEquals("1", db.scalar("SELECT count(*) FROM sch_repcloud.t_table_repack"));
    }

    @Test
    void createSchemaRefusesHalfPresentSchemasAndDropCleansThemUp() {
        db.execute("CREATE SCHEMA sch_repnew");
        String line = oneErrorLine(CliRun.run(home, "create_schema"), 1);
        assertTrue(line.contains("Only sch_repnew of the helper schemas exist"), line);
        assertTrue(line.contains("rpcl drop_schema --connection main"), line);
        assertEquals(0, CliRun.run(home, "drop_schema").exitCode());
        assertEquals("0", helperSchemaCount());
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        assertEquals("3", helperSchemaCount());
    }

    @Test
    void dropSchemaWithoutSchemasSaysThereIsNothingToDrop() {
        CliRun run = CliRun.run(home, "drop_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("nothing to drop"), run::toString);
    }

    @Test
    void dropSchemaRemovesLeftoverTriggersAndCopiesButNotUserObjects() {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        db.execute(
                "CREATE TABLE public.orders (id int PRIMARY KEY, note text)",
                "INSERT INTO public.orders SELECT g, 'n' || g FROM generate_series(1, 100) g",
                "CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
                "CREATE TRIGGER audit_orders BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.audit()",
                // what an interrupted repack leaves: a copy, a change log, its function and the triggers
                "CREATE TABLE sch_repnew.orders_copy (LIKE public.orders)",
                "CREATE TABLE sch_repnew.log_orders (i_id bigserial PRIMARY KEY, id int)",
                "CREATE FUNCTION sch_repnew.fn_log_orders() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$",
                "CREATE TRIGGER z_repcloud_log AFTER INSERT OR UPDATE OR DELETE ON public.orders "
                        + "FOR EACH ROW EXECUTE FUNCTION sch_repnew.fn_log_orders()",
                "CREATE TRIGGER z_repcloud_truncate AFTER TRUNCATE ON public.orders "
                        + "FOR EACH STATEMENT EXECUTE FUNCTION sch_repnew.fn_log_orders()");

        CliRun run = CliRun.run(home, "drop_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("removed 2 rpcl trigger(s) left on user tables"), run::toString);
        assertTrue(run.out().contains("log_orders, orders_copy"), run::toString);
        assertEquals("0", helperSchemaCount());
        assertEquals(List.of(List.of("audit_orders")),
                db.query("SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.orders'::regclass AND NOT tgisinternal"));
        assertEquals("100", db.scalar("SELECT count(*) FROM public.orders"));
    }

    @Test
    void dropSchemaRefusesWhenAUserObjectDependsOnTheHelperSchemas() {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        db.execute("CREATE VIEW public.repack_progress AS SELECT v_old_table_name FROM sch_repcloud.t_table_repack");
        String line = oneErrorLine(CliRun.run(home, "drop_schema"), 1);
        assertTrue(line.contains("view repack_progress"), line);
        assertEquals("3", helperSchemaCount());
        db.execute("DROP VIEW public.repack_progress");
    }

    @Test
    void dropSchemaRefusesWhileATableIsParkedInSchRepdrop() {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        db.execute("CREATE TABLE sch_repdrop.invoices (id int)", "INSERT INTO sch_repdrop.invoices VALUES (1)");
        String line = oneErrorLine(CliRun.run(home, "drop_schema"), 1);
        assertTrue(line.contains("sch_repdrop holds table(s) invoices"), line);
        assertEquals("1", db.scalar("SELECT count(*) FROM sch_repdrop.invoices"));
    }

    /**
     * Another configuration's run, on this machine or another, has no pid file here: its sessions
     * in the database give it away, by application_name (a replay daemon between rounds) or by a
     * table's advisory lock (a run whose session set another application_name).
     */
    @Test
    void dropSchemaRefusesWhileAnotherConfigurationsRunIsConnectedToTheDatabase() throws Exception {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        try (java.sql.Connection daemon = db.ownerConnection()) {
            try (var st = daemon.createStatement()) {
                st.execute("SET application_name = 'repcloud - Table: public.orders [replay]'");
            }
            String line = oneErrorLine(CliRun.run(home, "drop_schema"), 1);
            assertTrue(line.contains("rpcl is working in it (pid ") && line.contains("'repcloud - Table: public.orders [replay]'")
                    && line.contains("stop_replay"), line);
            assertEquals("3", helperSchemaCount());
        }
        try (java.sql.Connection run = db.ownerConnection(); var st = run.createStatement()) {
            st.execute("SELECT pg_advisory_lock((x'7270636c'::bigint << 32) | 12345)");
            String line = oneErrorLine(CliRun.run(home, "drop_schema"), 1);
            assertTrue(line.contains("rpcl is working in it"), line);
        }
        CliRun run = CliRun.run(home, "drop_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("0", helperSchemaCount());
    }

    @Test
    void dropSchemaRefusesWhileAPidFileNamesALiveProcessAndWorksOnceItIsStale() throws Exception {
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        writePidFile("repack", ProcessHandle.current().pid());
        String line = oneErrorLine(CliRun.run(home, "drop_schema"), 1);
        assertTrue(line.contains("repack_tables (pid " + ProcessHandle.current().pid() + ")"), line);
        assertTrue(line.contains("stop_repack"), line);
        assertEquals("3", helperSchemaCount());

        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        writePidFile("repack", gone.pid());
        CliRun run = CliRun.run(home, "drop_schema");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("0", helperSchemaCount());
    }

    @Test
    void createSchemaWithoutCreateOnTheDatabaseTellsHowToGrantIt() throws IOException {
        String role = db.owner() + "_nocreate";
        db.executeAsAdmin("CREATE ROLE " + role + " LOGIN PASSWORD 'x' NOSUPERUSER");
        try {
            Path file = home.resolve("config/default.toml");
            Files.writeString(file, Files.readString(file).replace("user = \"" + db.owner() + "\"", "user = \"" + role + "\""));
            String line = oneErrorLine(CliRun.run(home, "create_schema"), 1);
            assertTrue(line.contains("permission denied for database " + db.name()), line);
            String grant = "GRANT CREATE ON DATABASE \"" + db.name() + "\" TO \"" + role + "\";";
            assertTrue(line.contains(grant), line);
            assertEquals("0", helperSchemaCount());

            db.executeAsAdmin(grant);
            CliRun granted = CliRun.run(home, "create_schema");
            assertEquals(0, granted.exitCode(), "the hint is enough: " + granted);
            assertEquals(0, CliRun.run(home, "drop_schema").exitCode());
        } finally {
            db.executeAsAdmin("DROP OWNED BY " + role, "DROP ROLE " + role);
        }
    }

    @Test
    @Timeout(15)
    void wrongPortGivesOneCleanLineAndExitOneQuickly() throws IOException {
        Path file = home.resolve("config/default.toml");
        Files.writeString(file, Files.readString(file).replaceAll("port = \\d+", "port = 1"));
        for (String command : List.of("create_schema", "drop_schema")) {
            String line = oneErrorLine(CliRun.run(home, command), 1);
            assertTrue(line.contains("Cannot connect to database " + db.name() + " on " + db.server().host() + ":1"), line);
        }
    }

    @Test
    void connectionOptionLimitsTheCommandToOneConnection() throws IOException {
        Path file = home.resolve("config/default.toml");
        Files.writeString(file, Files.readString(file) + "\n[connections.elsewhere]\nuser = \"nobody\"\ndatabase = \"nowhere\"\nport = 1\n");
        CliRun run = CliRun.run(home, "create_schema", "--connection", "main");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("3", helperSchemaCount());
        CliRun all = CliRun.run(home, "drop_schema");
        assertEquals(1, all.exitCode(), "the second connection cannot connect: " + all);
        assertEquals("0", helperSchemaCount(), "the first connection was still dropped");
    }

    @Test
    void showConnectionsHidesThePassword() {
        CliRun run = CliRun.run(home, "show_connections");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("| user                | " + db.owner()), run::toString);
        assertTrue(run.out().contains("| password            | ********"), run::toString);
        assertFalse(run.out().contains(TestDatabase.OWNER_PASSWORD), run::toString);
        assertFalse(run.err().contains(TestDatabase.OWNER_PASSWORD), run::toString);
    }
}
