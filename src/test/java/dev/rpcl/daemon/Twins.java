package dev.rpcl.daemon;

import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A table and its twin, written in the same transactions by an application-like workload: after
 * any repack the two must hold the same rows, which proves no change was lost or doubled.
 */
final class Twins implements AutoCloseable {
    private final TestDatabase db;
    private final String table;
    private final Thread writer;
    private volatile boolean running = true;
    final AtomicLong transactions = new AtomicLong();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    private Twins(TestDatabase db, String table) {
        this.db = db;
        this.table = table;
        this.writer = new Thread(this::write, "workload-" + table);
        writer.setDaemon(true);
    }

    /** Creates {@code table} and {@code table_twin} with {@code rows} rows, bloated by an update and deletes. */
    /**
     * A twin pair whose every row written to the table (and to rpcl's copy of it) takes a
     * millisecond, through a CHECK constraint calling a slow function, so that each phase of a
     * repack lasts long enough to be caught in the act.
     */
    static void createSlow(TestDatabase db, String table, int rows) {
        db.execute("""
                CREATE OR REPLACE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE plpgsql AS
                $$BEGIN PERFORM pg_sleep(0.001); RETURN true; END$$""");
        create(db, table, rows, "ALTER TABLE " + table + " ADD CONSTRAINT " + table + "_slow CHECK (slow_ok(id))");
    }

    static void create(TestDatabase db, String table, int rows, String extraDdl) {
        for (String t : new String[] {table, table + "_twin"}) {
            db.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text, n int)",
                    "INSERT INTO " + t + " SELECT g, md5(g::text), g FROM generate_series(1, " + rows + ") g",
                    "UPDATE " + t + " SET v = v || v",
                    "DELETE FROM " + t + " WHERE id % 4 = 0");
        }
        if (extraDdl != null) {
            db.execute(extraDdl);
        }
    }

    /** Starts writing inserts, updates (also of the key) and deletes to both tables. */
    static Twins startWorkload(TestDatabase db, String table) {
        Twins w = new Twins(db, table);
        w.writer.start();
        return w;
    }

    private void write() {
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (running) {
                int id = r.nextInt(1, 5_000);
                int op = r.nextInt(4);
                for (String t : new String[] {table, table + "_twin"}) {
                    String sql = switch (op) {
                        case 0 -> "INSERT INTO " + t + " VALUES (?, 'new', 0) ON CONFLICT (id) DO UPDATE SET n = " + t + ".n + 1";
                        case 1 -> "UPDATE " + t + " SET v = v || 'u', n = n + 1 WHERE id = ?";
                        case 2 -> "DELETE FROM " + t + " WHERE id = ?";
                        default -> "UPDATE " + t + " SET id = id + 100000 WHERE id = ? AND id < 100000"
                                + " AND NOT EXISTS (SELECT FROM " + t + " WHERE id = ? + 100000)";
                    };
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        ps.setInt(1, id);
                        if (op == 3) {
                            ps.setInt(2, id);
                        }
                        ps.executeUpdate();
                    }
                }
                c.commit();
                transactions.incrementAndGet();
                Thread.sleep(2);
            }
        } catch (SQLException | InterruptedException | RuntimeException e) {
            if (running) {
                error.set(e);
            }
        }
    }

    /** Rows in one table and not in the other, both ways; zero when the twins are equal. */
    static long differences(TestDatabase db, String table) {
        return Long.parseLong(db.scalar("SELECT (SELECT count(*) FROM (SELECT * FROM " + table + " EXCEPT ALL SELECT * FROM "
                + table + "_twin) a) + (SELECT count(*) FROM (SELECT * FROM " + table + "_twin EXCEPT ALL SELECT * FROM "
                + table + ") b)"));
    }

    /** Polls {@code condition} every 50 ms for up to {@code seconds}. */
    static boolean await(BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        writer.join(10_000);
        if (error.get() != null) {
            throw new AssertionError("the workload failed: " + error.get(), error.get());
        }
    }
}
