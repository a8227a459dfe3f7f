package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.catalog.TableRef;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.RpclHome;
import dev.rpcl.db.Database;
import dev.rpcl.testing.CliRun;
import dev.rpcl.testing.TestDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure nobody foresaw inside one table's repack (a bug that throws, a connection that dies
 * under the copy) ends with that table cleaned up, its failure recorded, and the next table
 * repacked: the run does not stop, and no trigger of rpcl's is left on the application's table.
 */
@Timeout(120)
class UnforeseenFailureTest {
    TestDatabase db;

    @TempDir
    Path home;

    @BeforeEach
    void createDatabase() {
        db = TestDatabase.create(UnforeseenFailureTest.class);
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    private ConnectionConfig config(String... tables) {
        for (String t : tables) {
            db.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text)",
                    "INSERT INTO " + t + " SELECT i, md5(i::text) FROM generate_series(1, 3000) i",
                    "DELETE FROM " + t + " WHERE id % 2 = 0");
        }
        db.writeConfig(home, "default", "main", "tables = [" + String.join(", ", List.of(tables).stream()
                .map(t -> "'public." + t + "'").toList()) + "]\ncheck_time = \"0\"");
        assertEquals(0, CliRun.run(home, "create_schema").exitCode());
        return new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
    }

    /** Runs repack_tables through the engine with {@code customizer}, returning each table's result by name. */
    private Map<String, TableResult> repack(ConnectionConfig cfg, TableCustomizer customizer) {
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, RepackOptions.defaults().withCustomizer(customizer), () -> false);
            return engine.repackTables().tables().stream().collect(Collectors.toMap(TableResult::table, Function.identity()));
        }
    }

    private void assertCleanedUp(String table) {
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public." + table + "'::regclass"
                + " AND NOT tgisinternal"), "no trigger of rpcl's is left on " + table);
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'sch_repnew'::regnamespace"));
        assertEquals("0", db.scalar("SELECT count(*) FROM pg_proc WHERE pronamespace = 'sch_repnew'::regnamespace"));
        assertEquals("failed", db.scalar("SELECT v_status FROM sch_repcloud.t_table_repack WHERE v_old_table_name = '" + table + "'"));
    }

    @Test
    void aRuntimeExceptionInsideATableCleansItUpAndTheNextTableIsRepacked() {
        ConnectionConfig cfg = config("t_boom", "t_after");
        String after = db.scalar("SELECT 'public.t_after'::regclass::oid");
        Map<String, TableResult> results = repack(cfg, new TableCustomizer() {
            @Override
            public String selectExpression(TableRef table, String column, String quotedColumn, String type) {
                if (table.name().equals("t_boom")) {
                    throw new IllegalStateException("injected for the test");
                }
                return quotedColumn;
            }
        });
        TableResult boom = results.get("public.t_boom");
        assertEquals(TableResult.Status.FAILED, boom.status(), boom::toString);
        assertTrue(boom.reason().contains("unexpected IllegalStateException: injected for the test"), boom::reason);
        assertEquals(TableResult.Status.REPACKED, results.get("public.t_after").status(), results::toString);
        assertNotEquals(after, db.scalar("SELECT 'public.t_after'::regclass::oid"));
        assertCleanedUp("t_boom");
        assertEquals("1500", db.scalar("SELECT count(*) FROM t_boom"));
    }

    @Test
    void aConnectionThatDiesUnderTheCopyIsCleanedUpOnAnotherAndTheNextTableIsRepacked() {
        ConnectionConfig cfg = config("t_killed", "t_after");
        // The copy's own backend ends itself in the middle of the copy: the connection is gone.
        Map<String, TableResult> results = repack(cfg, new TableCustomizer() {
            @Override
            public String selectExpression(TableRef table, String column, String quotedColumn, String type) {
                return table.name().equals("t_killed") && column.equals("v")
                        ? "CASE WHEN o.id > 1000 AND pg_terminate_backend(pg_backend_pid()) THEN NULL ELSE " + quotedColumn + " END"
                        : quotedColumn;
            }
        });
        TableResult killed = results.get("public.t_killed");
        assertEquals(TableResult.Status.FAILED, killed.status(), killed::toString);
        assertEquals(TableResult.Status.REPACKED, results.get("public.t_after").status(), results::toString);
        assertCleanedUp("t_killed");
        db.execute("UPDATE t_killed SET v = 'the application writes on'");
    }
}
