package dev.rpcl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reading recorded ahead of the swap's lock is used under it only when running its statements
 * again returns what the reading saw: any row changed, added or gone where the reading looked
 * makes the check fail, and the statements it ran that change state are undone with it.
 */
class CatalogReadsTest {
    static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(CatalogReadsTest.class);
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void tables() {
        db.execute("DROP TABLE IF EXISTS kv, side", "CREATE TABLE kv (k int PRIMARY KEY, v text)",
                "INSERT INTO kv VALUES (1, 'one'), (2, 'two'), (3, 'three')", "CREATE TABLE side (x int)");
    }

    /** Every row of kv above a bound given as a parameter, and a SET LOCAL on the way. */
    private static List<String> readAll(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL work_mem = '8MB'");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT k, v FROM kv WHERE k > ? ORDER BY k")) {
            ps.setLong(1, 0);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getInt(1) + "=" + rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Only the first row: rows after it do not matter to this reading. */
    private static String readFirst(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT v FROM kv ORDER BY k")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static String workMem(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW work_mem")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static <T> boolean holdsAfter(CatalogReads.Reading<T> reading, String... changes) throws SQLException {
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            CatalogReads.Recorded<T> recorded = CatalogReads.record(c, reading);
            c.commit();
            db.execute(changes);
            boolean holds = recorded.stillHolds(c);
            c.rollback();
            return holds;
        }
    }

    @Test
    void anUnchangedReadingHoldsAndReturnsWhatItRead() throws SQLException {
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            CatalogReads.Recorded<List<String>> recorded = CatalogReads.record(c, CatalogReadsTest::readAll);
            assertEquals(List.of("1=one", "2=two", "3=three"), recorded.value());
            assertEquals(2, recorded.statements(), "the SET LOCAL and the query");
            assertTrue(recorded.stillHolds(c));
            assertEquals("8MB", workMem(c), "the statements without a result ran again");
            c.rollback();
        }
    }

    @Test
    void aChangedAddedOrRemovedRowFailsTheCheck() throws SQLException {
        assertFalse(holdsAfter(CatalogReadsTest::readAll, "UPDATE kv SET v = 'uno' WHERE k = 1"));
        tables();
        assertFalse(holdsAfter(CatalogReadsTest::readAll, "INSERT INTO kv VALUES (4, 'four')"));
        tables();
        assertFalse(holdsAfter(CatalogReadsTest::readAll, "DELETE FROM kv WHERE k = 3"));
        tables();
        assertTrue(holdsAfter(CatalogReadsTest::readAll, "INSERT INTO side VALUES (1)"), "a table it did not read");
    }

    @Test
    void rowsTheReadingDidNotReachDoNotMatter() throws SQLException {
        assertTrue(holdsAfter(CatalogReadsTest::readFirst, "INSERT INTO kv VALUES (4, 'four')", "UPDATE kv SET v = 'deux' WHERE k = 2"));
        tables();
        assertFalse(holdsAfter(CatalogReadsTest::readFirst, "UPDATE kv SET v = 'uno' WHERE k = 1"));
    }

    @Test
    void aFailedCheckUndoesWhatItsStatementsChanged() throws SQLException {
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            CatalogReads.Recorded<List<String>> recorded = CatalogReads.record(c, CatalogReadsTest::readAll);
            c.rollback();
            db.execute("UPDATE kv SET v = 'drei' WHERE k = 3");
            assertFalse(recorded.stillHolds(c));
            assertEquals("4MB", workMem(c), "the SET LOCAL was rolled back with the check");
            c.rollback();
        }
    }

    @Test
    void aReadingThatWritesCannotBeChecked() throws SQLException {
        assertFalse(holdsAfter(c -> {
            try (Statement st = c.createStatement()) {
                return st.executeUpdate("INSERT INTO side VALUES (2)");
            }
        }));
    }

    @Test
    void aQueryThatFailsUnderTheCheckFailsItAndLeavesTheTransactionUsable() throws SQLException {
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            CatalogReads.Recorded<List<String>> recorded = CatalogReads.record(c, CatalogReadsTest::readAll);
            c.commit();
            db.execute("DROP TABLE kv");
            assertFalse(recorded.stillHolds(c));
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM side")) {
                assertTrue(rs.next(), "the transaction goes on");
            }
            c.rollback();
        }
    }
}
