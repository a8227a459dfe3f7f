package dev.rpcl.engine;

import dev.rpcl.catalog.Triggers;
import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change capture of one table: the log {@code sch_repnew.log_<oid>} (id, transaction id, key
 * columns, truncate marker) and statement-level AFTER triggers with transition tables that write
 * the keys of every changed row with one INSERT ... SELECT per statement. The functions are
 * SECURITY DEFINER so that the application's roles need no rights on the helper schema.
 */
final class ChangeLog {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);

    private static final List<String> TRIGGERS = Triggers.RPCL_TRIGGER_NAMES;
    static final String TRIGGER_INSERT = TRIGGERS.get(0);
    static final String TRIGGER_UPDATE = TRIGGERS.get(1);
    static final String TRIGGER_DELETE = TRIGGERS.get(2);
    static final String TRIGGER_TRUNCATE = TRIGGERS.get(3);

    private static final String KEY_TYPES = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                        THEN (SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname)
                                FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
                               WHERE co.oid = a.attcollation) END
              FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
             WHERE a.attrelid = ? AND a.attname = ?
            """;

    /** rpcl's triggers on the table, and how many of them are still ENABLE ALWAYS, as rpcl set them. */
    private static final String TRIGGER_STATES = """
            SELECT count(*), count(*) FILTER (WHERE t.tgenabled = 'A')
              FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ? AND t.tgname = ANY (?) AND t.tgfoid IN (%s)
            """.formatted(Triggers.RPCL_FUNCTIONS);

    /** rpcl's triggers on the table: by the function they call, never by a name a user could give. */
    private static final String OWN_TRIGGERS = """
            SELECT t.tgname FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ? AND t.tgfoid IN (%s) ORDER BY 1
            """.formatted(Triggers.RPCL_FUNCTIONS);

    private ChangeLog() {
    }

    /**
     * The log table and the trigger functions; no lock on the original is needed for these. The
     * row-level update function of a partition or inheritance child compares keys with {@code keyEquality}.
     */
    static void createLogAndFunctions(Connection c, RepackTable t, boolean rowLevel, KeyEquality keyEquality) throws SQLException {
        StringBuilder cols = new StringBuilder();
        List<String> types = new ArrayList<>();
        for (String key : t.keyColumns()) {
            try (PreparedStatement ps = c.prepareStatement(KEY_TYPES)) {
                ps.setLong(1, t.ref().oid());
                ps.setString(2, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("key column " + key + " of " + t.display() + " not found");
                    }
                    cols.append(", ").append(RepackTable.logKey(types.size() + 1)).append(' ').append(rs.getString(2));
                    types.add(rs.getString(2));
                    if (rs.getString(3) != null) {
                        cols.append(" COLLATE ").append(rs.getString(3));
                    }
                }
            }
        }
        String keys = t.keyList(null);
        String logKeys = t.logKeyList(null);
        try (Statement st = c.createStatement()) {
            // Key columns are nullable here only for the truncate marker row, which has none.
            st.execute("CREATE TABLE " + t.log() + " (i_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                    + "i_xid bigint NOT NULL DEFAULT pg_catalog.txid_current(), b_truncate boolean NOT NULL DEFAULT false"
                    + cols + ")");
            // Replay extends a batch to whole transactions, looked up by transaction id.
            st.execute("CREATE INDEX ON " + t.log() + " (i_xid)");
            String lost = lostMarker(t);
            if (rowLevel) {
                String oldKeys = t.keyList("OLD");
                String newKeys = t.keyList("NEW");
                st.execute(rowFunction(t.function("ins"), guarded(keyProbe(t, types, "NEW", null), lost,
                        "INSERT INTO " + t.log() + " (" + logKeys + ") VALUES (" + newKeys + ")")));
                st.execute(rowFunction(t.function("upd"), guarded(keyProbe(t, types, "NEW", null) + ";\n    "
                        + keyProbe(t, types, "OLD", null), lost, "INSERT INTO " + t.log() + " (" + logKeys + ") VALUES (" + oldKeys + ");\n"
                        + "  IF NOT (" + keyEquality.join(t, "NEW", "OLD") + ") THEN\n    INSERT INTO " + t.log()
                        + " (" + logKeys + ") VALUES (" + newKeys + ");\n  END IF")));
                st.execute(rowFunction(t.function("del"), guarded(keyProbe(t, types, "OLD", null), lost,
                        "INSERT INTO " + t.log() + " (" + logKeys + ") VALUES (" + oldKeys + ")")));
            } else {
                st.execute(function(t.function("ins"), guarded(keyProbe(t, types, "n", "new_rows"), lost,
                        "INSERT INTO " + t.log() + " (" + logKeys + ") SELECT " + keys + " FROM new_rows")));
                st.execute(function(t.function("upd"), guarded(keyProbe(t, types, "n", "new_rows"), lost,
                        "INSERT INTO " + t.log() + " (" + logKeys + ") SELECT " + keys + " FROM old_rows UNION SELECT " + keys + " FROM new_rows")));
                st.execute(function(t.function("del"), guarded(keyProbe(t, types, "n", "old_rows"), lost,
                        "INSERT INTO " + t.log() + " (" + logKeys + ") SELECT " + keys + " FROM old_rows")));
            }
            st.execute(function(t.function("trunc"), "INSERT INTO " + t.log() + " (b_truncate) VALUES (true)"));
        }
    }

    /**
     * The log row that says the capture was lost: the table's key columns were renamed, or given
     * another type, after the functions were written (the application's own DDL while the table
     * was prepared). Its id is -1, below every id the log's identity hands out, so the next
     * replay batch takes it first; one is enough. It is also a truncate marker, so that a replay
     * that does not know it reloads the whole copy rather than miss a change.
     */
    static final long LOST_ID = -1;

    private static String lostMarker(RepackTable t) {
        return "INSERT INTO " + t.log() + " (i_id, b_truncate) OVERRIDING SYSTEM VALUE VALUES (" + LOST_ID + ", true)"
                + " ON CONFLICT DO NOTHING";
    }

    /**
     * A statement that fails when it is planned if a key column no longer exists by its name or
     * has another type than the log's: array_larger takes two arrays of exactly the same type (no
     * implicit cast, unlike array_append), so an int key now bigint fails here rather than in the
     * log insert at the first id past 2^31. It reads nothing ({@code WHERE false}) and writes
     * nothing. {@code rows} is the transition table, or null for a row trigger's record.
     */
    private static String keyProbe(RepackTable t, List<String> types, String alias, String rows) {
        List<String> checks = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            checks.add("pg_catalog.array_larger(NULL::" + types.get(i) + "[], ARRAY[" + alias + "." + Sql.ident(t.keyColumns().get(i))
                    + "]) IS NULL");
        }
        return rows == null ? "PERFORM " + String.join(", ", checks)
                : "PERFORM FROM " + rows + " " + alias + " WHERE false AND " + String.join(" AND ", checks);
    }

    /**
     * The capture, behind its probe: when the probe fails, the application's statement goes on
     * and the log gets the lost marker instead of the keys, and rpcl starts the table over. The
     * probe runs in a subtransaction of its own (BEGIN ... EXCEPTION) that writes nothing, so it
     * is given no transaction id: the application's transaction does not accumulate
     * subtransaction ids, which past 64 would slow every snapshot of the server. The log insert
     * itself stays outside it.
     */
    private static String guarded(String probe, String lost, String capture) {
        return "BEGIN\n    " + probe + ";\n  EXCEPTION WHEN OTHERS THEN\n    " + lost + ";\n    RETURN NULL;\n  END;\n  " + capture;
    }

    /**
     * A statement-level function runs as the table's owner (SECURITY DEFINER) with the caller's
     * search_path, on purpose: a SET clause costs every writing statement of the application a
     * save and a restore of search_path (about 2.5 us, a fifth of the triggers' cost). Nothing in
     * its body is looked up through the path: the log is schema-qualified, new_rows and old_rows
     * are transition tables, which are found before any table, the log's defaults are stored as
     * OIDs, and UNION takes its equality from the key type's default operator class, not by
     * operator name.
     */
    private static String function(String name, String body) {
        return function(name, body, "");
    }

    /**
     * A row function (of a partition or an inheritance child) runs for every row the application writes; its key comparison
     * names its operator's schema ({@link KeyEquality}), and its path is pinned all the same.
     */
    private static String rowFunction(String name, String body) {
        return function(name, body, "SET search_path = pg_catalog, pg_temp ");
    }

    /**
     * The body names the table's key columns, which its owner chose: it is written as an escaped
     * string literal, never between dollar quotes, which a column named {@code x$rpcl$;GRANT ...}
     * closed early to run the rest as rpcl's role.
     */
    private static String function(String name, String body, String settings) {
        return "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER " + settings + "AS "
                + Sql.literal("\nBEGIN\n  " + body + ";\n  RETURN NULL;\nEND\n");
    }

    /**
     * The triggers, in the caller's transaction. CREATE TRIGGER waits for every open writer of
     * the table, so the caller sets lock_timeout and retries; once this commits, every change is
     * logged.
     */
    static void createTriggers(Connection c, RepackTable t, boolean rowLevel) throws SQLException {
        String on = " ON " + t.original() + " ";
        try (Statement st = c.createStatement()) {
            if (rowLevel) {
                createRowTriggers(st, t, on);
            } else {
                createStatementTriggers(st, t, on);
            }
            st.execute("CREATE TRIGGER " + TRIGGER_TRUNCATE + " AFTER TRUNCATE" + on
                    + "FOR EACH STATEMENT EXECUTE FUNCTION " + t.function("trunc") + "()");
            // ENABLE ALWAYS: the log must be written under session_replication_role = replica too.
            for (String trigger : TRIGGERS) {
                st.execute("ALTER TABLE " + t.original() + " ENABLE ALWAYS TRIGGER " + Sql.ident(trigger));
            }
        }
        LOG.debug("{}: change log triggers created", t.display());
    }

    /**
     * The statement-level triggers of a partition or an inheritance child do not fire when a
     * statement writes it through its parent, and row triggers with transition tables are not
     * allowed on either: they are logged row by row. (A parent's statement triggers do fire, and
     * their transition tables hold its children's rows too: those keys are logged for nothing,
     * and replayed harmlessly, since the replay reads the parent ONLY.)
     */
    private static void createRowTriggers(Statement st, RepackTable t, String on) throws SQLException {
        st.execute("CREATE TRIGGER " + TRIGGER_INSERT + " AFTER INSERT" + on + "FOR EACH ROW EXECUTE FUNCTION "
                + t.function("ins") + "()");
        st.execute("CREATE TRIGGER " + TRIGGER_UPDATE + " AFTER UPDATE" + on + "FOR EACH ROW EXECUTE FUNCTION "
                + t.function("upd") + "()");
        st.execute("CREATE TRIGGER " + TRIGGER_DELETE + " AFTER DELETE" + on + "FOR EACH ROW EXECUTE FUNCTION "
                + t.function("del") + "()");
    }

    private static void createStatementTriggers(Statement st, RepackTable t, String on) throws SQLException {
        st.execute("CREATE TRIGGER " + TRIGGER_INSERT + " AFTER INSERT" + on
                + "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION " + t.function("ins") + "()");
        st.execute("CREATE TRIGGER " + TRIGGER_UPDATE + " AFTER UPDATE" + on
                + "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
                + t.function("upd") + "()");
        st.execute("CREATE TRIGGER " + TRIGGER_DELETE + " AFTER DELETE" + on
                + "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION " + t.function("del") + "()");
    }

    /**
     * Replaces the trigger functions by ones that do nothing. CREATE OR REPLACE FUNCTION takes no
     * lock on the table, so this works while a session keeps the table locked.
     */
    static void makeInert(Connection c, RepackTable t) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String event : List.of("ins", "upd", "del", "trunc")) {
                st.execute(function(t.function(event), "NULL").replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"));
            }
        }
    }

    /**
     * Why the change log may lack changes of the table, or null when it has them all: rpcl's
     * triggers dropped, or disabled since they were created (ENABLE TRIGGER brings them back as
     * enabled on origin, not ALWAYS as rpcl made them, which tells that they were off for a
     * while), or the lost marker written by a capture that could not follow the table's DDL. A
     * copy whose capture has a problem must never be swapped in: the table starts over.
     */
    static String captureProblem(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TRIGGER_STATES)) {
            ps.setLong(1, t.ref().oid());
            ps.setArray(2, c.createArrayOf("text", TRIGGERS.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) < TRIGGERS.size()) {
                    return "rpcl's change-capture triggers are no longer all on " + t.display() + " (someone dropped one)";
                }
                if (rs.getInt(2) < TRIGGERS.size()) {
                    return "rpcl's change-capture triggers on " + t.display() + " were disabled after they were created"
                            + " (ALTER TABLE ... DISABLE TRIGGER), so changes made meanwhile are not in its change log";
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + t.log() + " WHERE i_id = ?)")) {
            ps.setLong(1, LOST_ID);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1) ? lostCapture(t) : null;
            }
        }
    }

    static String lostCapture(RepackTable t) {
        return "the key columns of " + t.display() + " (" + String.join(", ", t.keyColumns()) + ") were renamed or changed"
                + " type while rpcl was capturing its changes; the application's writes went on, but rpcl's change log"
                + " could not follow them";
    }

    /**
     * Drops the triggers first (DROP TRIGGER locks the original ACCESS EXCLUSIVE: the caller sets
     * lock_timeout), then, in the same transaction, the functions and the log, so the application
     * never meets a trigger whose log is gone.
     */
    static void drop(Connection c, RepackTable t, boolean originalExists) throws SQLException {
        List<String> own = new ArrayList<>();
        if (originalExists) {
            try (PreparedStatement ps = c.prepareStatement(OWN_TRIGGERS)) {
                ps.setLong(1, t.ref().oid());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        own.add(rs.getString(1));
                    }
                }
            }
        }
        try (Statement st = c.createStatement()) {
            for (String trigger : own) {
                st.execute("DROP TRIGGER " + Sql.ident(trigger) + " ON " + t.original());
            }
            dropLogAndFunctions(st, t);
        }
    }

    /**
     * After the swap, or when finishing or aborting a table: the old table parked in sch_repdrop
     * (first, since its rpcl triggers use the functions), the trigger functions and the log.
     * The old table is dropped without CASCADE; the swap already proved nothing else depends on it.
     */
    static void dropLogAndFunctions(Statement st, RepackTable t) throws SQLException {
        st.execute("DROP TABLE IF EXISTS " + t.parked());
        for (String event : List.of("ins", "upd", "del", "trunc")) {
            st.execute("DROP FUNCTION IF EXISTS " + t.function(event) + "()");
        }
        st.execute("DROP TABLE IF EXISTS " + t.log());
    }

    /**
     * The old table's own foreign keys, without the clones PostgreSQL made of one that references
     * a partitioned table (one per partition, conparentid set): they go with their parent, and
     * naming them too made the DROP fail ("constraint ... does not exist") for good.
     */
    private static final String PARKED_FOREIGN_KEYS = """
            SELECT conname FROM pg_catalog.pg_constraint
             WHERE conrelid = pg_catalog.to_regclass(?) AND contype = 'f' AND conparentid = 0
             ORDER BY conname
            """;

    /**
     * The old table's own foreign keys, dropped in the caller's transaction, which must commit
     * before the old table is dropped, and not while rpcl's VALIDATE of the new table's keys
     * runs. Dropping a foreign key locks the table it references ACCESS EXCLUSIVE (its triggers
     * there go with it); in the transaction that drops the old table, that lock would last while
     * the old files are removed at commit, hundreds of milliseconds in which the application
     * could not even read the referenced table.
     */
    static void dropParkedForeignKeys(Statement st, RepackTable t) throws SQLException {
        List<String> names = parkedForeignKeys(st.getConnection(), t);
        if (!names.isEmpty()) {
            st.execute(dropForeignKeysStatement(t, names));
        }
    }

    static String dropForeignKeysStatement(RepackTable t, List<String> names) {
        return "ALTER TABLE " + t.parked() + " " + String.join(", ", names.stream().map(n -> "DROP CONSTRAINT " + Sql.ident(n)).toList());
    }

    /** The foreign keys the old table parked in sch_repdrop still has, if it is there. */
    static List<String> parkedForeignKeys(Connection c, RepackTable t) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(PARKED_FOREIGN_KEYS)) {
            ps.setString(1, t.parked());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    static long backlog(Connection c, RepackTable t) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t.log())) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The highest log id handed out so far (the identity's last value), to measure arrivals. */
    static long lastId(Connection c, RepackTable t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence(?, 'i_id')), 0)")) {
            ps.setString(1, t.log());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
