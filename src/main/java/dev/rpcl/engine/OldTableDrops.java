package dev.rpcl.engine;

import dev.rpcl.db.Database;
import dev.rpcl.db.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops what a swap left behind (the old table parked in sch_repdrop, the change log, the trigger
 * functions) on a connection of its own, while the run goes on with the next table or with the
 * VALIDATE and ANALYZE of this one: removing the old files at commit takes from a quarter of a
 * second to seconds for a big table. All of it is rpcl's own; nothing of the application waits
 * for it. A drop that fails is logged and left to the finishing of the table, which drops the
 * same objects; {@link #awaitAll()} must be called before that.
 */
final class OldTableDrops {
    private static final Logger LOG = LoggerFactory.getLogger(OldTableDrops.class);

    private final Database db;
    private final List<Thread> pending = new ArrayList<>();

    OldTableDrops(Database db) {
        this.db = db;
    }

    synchronized void submit(RepackTable t) {
        Thread th = new Thread(() -> drop(t), "rpcl-drop");
        th.setDaemon(true);
        th.start();
        pending.add(th);
    }

    /** Waits for every drop submitted so far; their failures were logged, and the finishing redoes them. */
    synchronized void awaitAll() {
        for (Thread th : pending) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        pending.clear();
    }

    private void drop(RepackTable t) {
        long start = System.nanoTime();
        try (Connection c = db.connect()) {
            Database.setApplicationName(c, t.display(), "drop old table");
            boolean dropped = Transactions.call(c, () -> {
                if (!ChangeLog.parkedForeignKeys(c, t).isEmpty()) {
                    return false;
                }
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = " + Math.max(1, db.config().lockTimeout().toMillis()));
                    ChangeLog.dropLogAndFunctions(st, t);
                }
                return true;
            });
            if (dropped) {
                LOG.info("{}: dropped the old table, the change log and the trigger functions in {} ms, after the lock",
                        t.display(), Elapsed.msSince(start));
            } else {
                // Their drop would lock the referenced tables while VALIDATE reads them: finishing does it after.
                LOG.info("{}: the old table still has its foreign keys; it is dropped when the table is finished", t.display());
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("{}: the old table, the change log and its functions will be dropped when the table is finished: {}",
                    t.display(), e instanceof SQLException sql ? Database.rootMessage(sql) : e.toString());
        }
    }
}
