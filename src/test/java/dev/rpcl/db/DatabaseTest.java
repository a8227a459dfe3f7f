package dev.rpcl.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.config.ConnectionConfig.DeadlockResolution;
import dev.rpcl.config.ConnectionConfig.SslMode;
import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DatabaseTest {
    static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(DatabaseTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static ConnectionConfig config(int port, SslMode sslmode) {
        return new ConnectionConfig("main", db.owner(), TestDatabase.OWNER_PASSWORD, db.server().host(), port, db.name(),
                sslmode, List.of(), List.of(), 1000, Duration.ofSeconds(3), Duration.ofSeconds(10), true,
                DeadlockResolution.NOTHING, List.of(), List.of(), 0, 0,
                dev.rpcl.config.ConnectionConfig.Engine.RPCL, Duration.ZERO, null,
                dev.rpcl.config.ConnectionConfig.SwapTimeout.CLEAN_UP, 0);
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void serversOlderThanFourteenAreRefusedWithTheirVersionNamed() {
        assertNull(Database.unsupportedServer(14, "14.1"));
        assertNull(Database.unsupportedServer(15, "15.20"));
        assertEquals("runs PostgreSQL 13.22; rpcl needs PostgreSQL 14 or later.", Database.unsupportedServer(13, "13.22"));
    }

    @Test
    void connectsAsTheConfiguredUserInAutocommitNamedRepcloud() throws SQLException {
        try (Database database = new Database(config(db.server().port(), SslMode.DISABLE), 2);
             Connection c = database.connect()) {
            assertEquals(db.owner(), scalar(c, "SELECT current_user"));
            assertEquals(db.name(), scalar(c, "SELECT current_database()"));
            assertEquals("repcloud", scalar(c, "SELECT current_setting('application_name')"));
            assertTrue(c.getAutoCommit());
        }
    }

    @Test
    void applicationNameShowsTableAndStepInPgStatActivity() throws SQLException {
        try (Database database = new Database(config(db.server().port(), SslMode.DISABLE), 1);
             Connection c = database.connect()) {
            Database.setApplicationName(c, "public.orders", "copy");
            String seen = db.scalar("SELECT application_name FROM pg_stat_activity WHERE pid = "
                    + scalar(c, "SELECT pg_backend_pid()"));
            assertEquals("repcloud - Table: public.orders [copy]", seen);
        }
    }

    @Test
    @Timeout(20)
    void sslmodeIsPassedToTheDriver() throws SQLException {
        boolean serverSsl = "on".equals(db.scalar("SHOW ssl"));
        try (Database prefer = new Database(config(db.server().port(), SslMode.PREFER), 1); Connection c = prefer.connect()) {
            assertEquals(serverSsl ? "t" : "f", scalar(c,
                    "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)"));
        }
        try (Database disable = new Database(config(db.server().port(), SslMode.DISABLE), 1); Connection c = disable.connect()) {
            assertEquals("f", scalar(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        }
        if (!serverSsl) {
            RpclException e = assertThrows(RpclException.class, () -> new Database(config(db.server().port(), SslMode.REQUIRE), 1));
            assertTrue(e.getMessage().contains("SSL"), e.getMessage());
        }
    }

    @Test
    @Timeout(10)
    void unreachablePortFailsFastWithOneLineNamingTheConnection() {
        RpclException e = assertThrows(RpclException.class, () -> new Database(config(1, SslMode.DISABLE), 1));
        assertEquals(RpclException.Kind.FAILED, e.kind());
        assertTrue(e.getMessage().startsWith("Cannot connect to database " + db.name() + " on " + db.server().host()
                + ":1 as " + db.owner() + " (connection main): "), e.getMessage());
        assertTrue(e.getMessage().contains("refused") && e.getMessage().contains("Check that the server runs and listens there"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void theHintOfAFailedConnectionFollowsItsCauseNotAlwaysTheConfiguration() {
        assertTrue(Database.connectHint(new SQLException("the database system is in recovery mode", "57P03"))
                .startsWith("The server is starting up, shutting down or recovering from a crash"));
        assertTrue(Database.connectHint(new SQLException("x", "28P01")).startsWith("Check user and password"));
        assertTrue(Database.connectHint(new SQLException("x", "3D000")).startsWith("Check database"));
        assertTrue(Database.connectHint(new RuntimeException("no state")).startsWith("Check host, port, user, password and sslmode"));
    }

    @Test
    void sqlQuotingKeepsNamesAndValuesIntact() throws SQLException {
        String weird = "Mixed \"Quote\" 'name'";
        db.execute("CREATE TABLE " + Sql.qualified("public", weird) + " (v text)",
                "INSERT INTO " + Sql.qualified("public", weird) + " VALUES (" + Sql.literal("it's a \\ back") + ")");
        assertEquals("it's a \\ back", db.scalar("SELECT v FROM " + Sql.qualified("public", weird)));
        assertEquals(weird, db.scalar("SELECT relname FROM pg_class WHERE relname LIKE 'Mixed%'"));
    }
}
