package dev.rpcl.engine;

import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An application writing a table and its twin in the same transactions: inserts, updates (also to
 * NULL and of TOAST-sized values), deletes, primary-key updates, a unique value moved from one row
 * to another, multi-row updates. Each client owns the keys congruent to its number, so clients never
 * wait for each other and any error is rpcl's doing. The twin has no triggers, so after the workload
 * the two tables must be equal row for row.
 */
final class TwinWorkload implements AutoCloseable {

    /** The table's key: {@code id} alone, or {@code (id, tag)} for the composite-key variant. */
    record Key(long id, String tag) {
    }

    private final TestDatabase db;
    private final String table;
    private final String twin;
    private final boolean composite;
    private final int clients;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    final AtomicLong updatedRows = new AtomicLong();
    final AtomicLong transactions = new AtomicLong();

    TwinWorkload(TestDatabase db, String table, boolean composite, int clients) {
        this.db = db;
        this.table = table;
        this.twin = table + "_twin";
        this.composite = composite;
        this.clients = clients;
    }

    /**
     * DDL for a table hash-partitioned by id in two partitions {@code <table>_p0} and
     * {@code <table>_p1} (a key update can move a row between them), and its plain twin.
     */
    static String[] partitionedSchema(String table) {
        return new String[] {
                "CREATE TABLE " + table + " (id bigint, tag text, u int, v text, n int NOT NULL DEFAULT 0, big text, PRIMARY KEY (id))"
                        + " PARTITION BY HASH (id)",
                "CREATE TABLE " + table + "_p0 PARTITION OF " + table + " FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
                "CREATE TABLE " + table + "_p1 PARTITION OF " + table + " FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
                "CREATE INDEX ON " + table + " (v)",
                "CREATE TABLE " + table + "_twin (id bigint PRIMARY KEY, tag text, u int, v text, n int NOT NULL DEFAULT 0, big text)",
        };
    }

    /** DDL for the table, its twin, and the BEFORE UPDATE trigger that counts its firings. */
    static String[] schema(String table, boolean composite) {
        String cols = composite
                ? "(id bigint NOT NULL, tag text NOT NULL, u int UNIQUE, v text, n int NOT NULL DEFAULT 0, big text, PRIMARY KEY (id, tag))"
                : "(id bigint PRIMARY KEY, u int UNIQUE, v text, n int NOT NULL DEFAULT 0, big text)";
        return new String[] {
                "CREATE TABLE " + table + " " + cols,
                "CREATE TABLE " + table + "_twin " + cols,
                "CREATE TABLE IF NOT EXISTS trigger_firings (tbl text)",
                "CREATE OR REPLACE FUNCTION count_firing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        + "INSERT INTO trigger_firings VALUES (TG_TABLE_NAME); RETURN NEW; END $$",
                "CREATE TRIGGER count_updates BEFORE UPDATE ON " + table + " FOR EACH ROW EXECUTE FUNCTION count_firing()",
        };
    }

    private String keyWhere() {
        return composite ? "id = ? AND tag = ?" : "id = ?";
    }

    private int bindKey(PreparedStatement ps, int i, Key k) throws SQLException {
        ps.setLong(i++, k.id());
        if (composite) {
            ps.setString(i++, k.tag());
        }
        return i;
    }

    /**
     * Fills both tables with {@code rows} rows, runs {@code afterFill} (to move some rows elsewhere
     * in the table's tree, say) and starts the clients.
     */
    void start(int rows, String... afterFill) throws SQLException {
        try (Connection c = db.ownerConnection(); var st = c.createStatement()) {
            for (String t : List.of(table, twin)) {
                st.execute("INSERT INTO " + t + (composite ? " (id, tag, u, v, big)" : " (id, u, v, big)")
                        + " SELECT i" + (composite ? ", 'k' || i" : "") + ", CASE WHEN i % 2 = 0 THEN i END, md5(i::text),"
                        + " CASE WHEN i % 50 = 0 THEN repeat(md5(i::text), 300) END FROM generate_series(1, " + rows + ") i");
            }
            for (String sql : afterFill) {
                st.execute(sql);
            }
        }
        for (int n = 0; n < clients; n++) {
            int client = n;
            Thread th = new Thread(() -> run(client, rows), "twin-client-" + n);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
    }

    private void run(int client, int rows) {
        Random rnd = new Random(client * 7919L + System.nanoTime());
        Map<Key, Integer> mine = new HashMap<>();
        for (long i = 1; i <= rows; i++) {
            if (i % clients == client) {
                mine.put(new Key(i, composite ? "k" + i : null), i % 2 == 0 ? (int) i : null);
            }
        }
        List<Key> keys = new ArrayList<>(mine.keySet());
        long nextId = rows + 1 + client;
        while (nextId % clients != client) {
            nextId++;
        }
        int nextU = 10_000_000 + client;
        try (Connection c = db.ownerConnection()) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                int ops = 1 + rnd.nextInt(3);
                for (int o = 0; o < ops; o++) {
                    int op = rnd.nextInt(100);
                    if (keys.size() < 10 || op < 15) {
                        Key k = new Key(nextId, composite ? "k" + nextId : null);
                        nextId += clients;
                        Integer u = rnd.nextBoolean() ? nextU : null;
                        nextU += clients;
                        both(c, "INSERT INTO %s (id" + (composite ? ", tag" : "") + ", u, v) VALUES (?" + (composite ? ", ?" : "") + ", ?, ?)",
                                bind -> {
                                    int i = bindKey(bind, 1, k);
                                    bind.setObject(i++, u);
                                    bind.setString(i, "new");
                                }, false);
                        mine.put(k, u);
                        keys.add(k);
                        continue;
                    }
                    Key k = keys.get(rnd.nextInt(keys.size()));
                    if (op < 35) {
                        String v = rnd.nextInt(4) == 0 ? null : Long.toHexString(rnd.nextLong());
                        both(c, "UPDATE %s SET v = ?, n = n + 1 WHERE " + keyWhere(), bind -> {
                            bind.setString(1, v);
                            bindKey(bind, 2, k);
                        }, true);
                    } else if (op < 45) {
                        byte[] raw = new byte[9000];
                        rnd.nextBytes(raw);
                        String big = rnd.nextInt(3) == 0 ? null : Base64.getEncoder().encodeToString(raw);
                        both(c, "UPDATE %s SET big = ? WHERE " + keyWhere(), bind -> {
                            bind.setString(1, big);
                            bindKey(bind, 2, k);
                        }, true);
                    } else if (op < 55) {
                        both(c, "DELETE FROM %s WHERE " + keyWhere(), bind -> bindKey(bind, 1, k), false);
                        mine.remove(k);
                        keys.remove(k);
                    } else if (op < 68) {
                        Key moved = composite ? new Key(k.id(), "m" + nextId) : new Key(nextId, null);
                        nextId += clients;
                        String set = composite ? "tag = ?" : "id = ?";
                        both(c, "UPDATE %s SET " + set + " WHERE " + keyWhere(), bind -> {
                            if (composite) {
                                bind.setString(1, moved.tag());
                            } else {
                                bind.setLong(1, moved.id());
                            }
                            bindKey(bind, 2, k);
                        }, true);
                        mine.put(moved, mine.remove(k));
                        keys.set(keys.indexOf(k), moved);
                    } else if (op < 85) {
                        // Move a unique value from one row to another in one transaction.
                        Key to = keys.get(rnd.nextInt(keys.size()));
                        Integer u = mine.get(k);
                        if (u == null || to.equals(k)) {
                            continue;
                        }
                        both(c, "UPDATE %s SET u = NULL WHERE " + keyWhere(), bind -> bindKey(bind, 1, k), true);
                        both(c, "UPDATE %s SET u = ? WHERE " + keyWhere(), bind -> {
                            bind.setInt(1, u);
                            bindKey(bind, 2, to);
                        }, true);
                        mine.put(k, null);
                        mine.put(to, u);
                    } else {
                        // Several rows in one statement: the transition tables hold more than one row.
                        List<Key> some = new ArrayList<>(keys);
                        Collections.shuffle(some, rnd);
                        List<Key> chosen = some.subList(0, Math.min(5, some.size()));
                        Long[] ids = chosen.stream().map(Key::id).toArray(Long[]::new);
                        String[] tags = chosen.stream().map(Key::tag).toArray(String[]::new);
                        both(c, "UPDATE %s SET n = n + 1 WHERE " + (composite
                                ? "(id, tag) IN (SELECT * FROM unnest(?::bigint[], ?::text[]))" : "id = ANY (?::bigint[])"), bind -> {
                                    bind.setArray(1, bind.getConnection().createArrayOf("bigint", ids));
                                    if (composite) {
                                        bind.setArray(2, bind.getConnection().createArrayOf("text", tags));
                                    }
                                }, true);
                    }
                }
                c.commit();
                transactions.incrementAndGet();
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** The same statement on the table and its twin; counts the rows updated on the table. */
    private void both(Connection c, String sqlTemplate, Binder binder, boolean update) throws SQLException {
        for (String t : List.of(table, twin)) {
            try (PreparedStatement ps = c.prepareStatement(sqlTemplate.formatted(t))) {
                binder.bind(ps);
                int n = ps.executeUpdate();
                if (update && t.equals(table)) {
                    updatedRows.addAndGet(n);
                }
            }
        }
    }

    /** Stops the clients and waits for them. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread th : threads) {
            th.join(30_000);
        }
    }
}
