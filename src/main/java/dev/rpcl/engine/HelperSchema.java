package dev.rpcl.engine;

import dev.rpcl.RpclException;
import dev.rpcl.db.Database;
import dev.rpcl.db.Sql;
import dev.rpcl.db.SqlStates;
import dev.rpcl.db.Transactions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** create_schema and drop_schema: the helper schemas sch_repcloud, sch_repnew and sch_repdrop. */
public final class HelperSchema {
    private static final Logger LOG = LoggerFactory.getLogger(HelperSchema.class);

    public static final String STATE_SCHEMA = "sch_repcloud";
    public static final String NEW_SCHEMA = "sch_repnew";
    public static final String DROP_SCHEMA = "sch_repdrop";

    /** What create or drop did, for the command to show. */
    public record Outcome(String connection, boolean changed, String message) {
    }

    private static final List<String> ALL_SCHEMAS = List.of(STATE_SCHEMA, NEW_SCHEMA, DROP_SCHEMA);

    private static final String SCHEMAS_PRESENT = """
            SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY (?) ORDER BY 1
            """;

    /** Tables in a helper schema: copies in sch_repnew, and in sch_repdrop what must never be there. */
    private static final String TABLES_IN_SCHEMA = """
            SELECT c.relname
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             ORDER BY 1
            """;

    /** rpcl's triggers left on user tables by a failed or interrupted repack. */
    private static final String LEFTOVER_TRIGGERS = """
            SELECT n.nspname, c.relname, t.tgname
              FROM pg_catalog.pg_trigger t
              JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT t.tgisinternal
               AND t.tgfoid IN (%s)
               AND n.nspname NOT IN ('sch_repcloud', 'sch_repnew', 'sch_repdrop')
             ORDER BY 1, 2, 3
            """.formatted(dev.rpcl.catalog.Triggers.RPCL_FUNCTIONS);

    /**
     * Objects outside the helper schemas that depend on something inside them: dropping the
     * schemas with CASCADE would silently take them along, so drop_schema refuses instead.
     */
    private static final String OUTSIDE_DEPENDENTS = """
            SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
              FROM pg_catalog.pg_depend d
             CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0) AS ref
             CROSS JOIN LATERAL (
                   -- rules, defaults, triggers and policies have no schema of their own: theirs is their table's
                   SELECT coalesce((pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid)).schema,
                                   (SELECT n.nspname
                                      FROM pg_catalog.pg_class c
                                      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                     WHERE c.oid = CASE d.classid
                                             WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_catalog.pg_rewrite WHERE oid = d.objid)
                                             WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT adrelid FROM pg_catalog.pg_attrdef WHERE oid = d.objid)
                                             WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_catalog.pg_trigger WHERE oid = d.objid)
                                             WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT polrelid FROM pg_catalog.pg_policy WHERE oid = d.objid)
                                           END)) AS schema) AS dep
             WHERE ref.schema IN ('sch_repcloud', 'sch_repnew', 'sch_repdrop')
               AND d.deptype IN ('n', 'a')
               AND coalesce(dep.schema, '') NOT IN ('sch_repcloud', 'sch_repnew', 'sch_repdrop')
             ORDER BY 1
            """;

    private HelperSchema() {
    }

    /** Whether the state schema sch_repcloud is there, which is what the engine needs. */
    public static boolean exists(Connection c) throws SQLException {
        return present(c).contains(STATE_SCHEMA);
    }

    private static List<String> present(Connection c) throws SQLException {
        try (var ps = c.prepareStatement(SCHEMAS_PRESENT)) {
            ps.setArray(1, c.createArrayOf("text", ALL_SCHEMAS.toArray()));
            return strings(ps);
        }
    }

    private static List<String> tablesIn(Connection c, String schema) throws SQLException {
        try (var ps = c.prepareStatement(TABLES_IN_SCHEMA)) {
            ps.setString(1, schema);
            return strings(ps);
        }
    }

    private static List<String> strings(java.sql.PreparedStatement ps) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Fails with a message that says to run create_schema when the helper schemas are missing. */
    public static void requirePresent(Connection c, Database db) throws SQLException {
        if (!exists(c)) {
            throw RpclException.failed("The helper schema " + STATE_SCHEMA + " is missing in database "
                    + db.config().database() + " (connection " + db.config().name() + "). Run: rpcl create_schema --connection "
                    + db.config().name());
        }
        // Helper schemas made by an earlier rpcl lack the control table.
        Control.ensureTable(c);
    }

    public static Outcome create(Database db) {
        String conn = db.config().name();
        try (Connection c = db.connect()) {
            List<String> present = present(c);
            if (present.size() == ALL_SCHEMAS.size()) {
                LOG.warn("Helper schemas already present in database {} (connection {}); nothing changed",
                        db.config().database(), conn);
                return new Outcome(conn, false, "The helper schemas are already present in database "
                        + db.config().database() + "; nothing changed.");
            }
            if (!present.isEmpty()) {
                throw RpclException.failed("Only " + String.join(", ", present) + " of the helper schemas exist in database "
                        + db.config().database() + " (connection " + conn + "). Run rpcl drop_schema --connection " + conn
                        + ", then create_schema again.");
            }
            Transactions.run(c, st -> {
                st.execute(resource("sql/create_schema.sql"));
                Control.ensureTable(c);
            });
            LOG.info("Created the helper schemas in database {} (connection {})", db.config().database(), conn);
            return new Outcome(conn, true, "Created the helper schemas sch_repcloud, sch_repnew, sch_repdrop in database "
                    + db.config().database() + ".");
        } catch (SQLException e) {
            throw schemaError("create", db, e);
        }
    }

    /**
     * Other sessions of rpcl (or repcloud) in this database: by their application_name, which
     * every rpcl session carries, or by a table's advisory lock, which a run holds while it works
     * on the table. Whatever configuration or machine they come from, dropping the helper
     * schemas under them would pull their triggers, logs and copies away mid-run.
     */
    private static final String LIVE_RUNS = """
            SELECT a.pid, coalesce(a.application_name, '') AS application_name, a.usename,
                   coalesce(a.client_addr::text, 'local') AS client
              FROM pg_catalog.pg_stat_activity a
             WHERE a.datname = current_database() AND a.pid <> pg_catalog.pg_backend_pid()
               AND (a.application_name LIKE 'repcloud%%'
                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                                WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.classid = %d))
             ORDER BY a.pid
            """.formatted(RepackTable.ADVISORY_CLASS);

    public static Outcome drop(Database db) {
        String conn = db.config().name();
        try (Connection c = db.connect()) {
            List<String> live = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(LIVE_RUNS)) {
                while (rs.next()) {
                    live.add("pid " + rs.getInt("pid") + " '" + rs.getString("application_name") + "' of user "
                            + rs.getString("usename") + " from " + rs.getString("client"));
                }
            }
            if (!live.isEmpty()) {
                throw RpclException.failed("Refusing to drop the helper schemas in database " + db.config().database()
                        + ": rpcl is working in it (" + String.join("; ", live) + "), perhaps with another configuration."
                        + " Stop that run first (stop_repack, stop_prepare or stop_replay with its --config), then run"
                        + " drop_schema again.");
            }
            if (present(c).isEmpty()) {
                LOG.warn("No helper schemas in database {} (connection {}); nothing to drop", db.config().database(), conn);
                return new Outcome(conn, false, "There are no helper schemas in database " + db.config().database()
                        + "; nothing to drop.");
            }
            Dropped dropped = Transactions.call(c, () -> {
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL lock_timeout = '10s'");
                }
                List<String> parked = tablesIn(c, DROP_SCHEMA);
                if (!parked.isEmpty()) {
                    // The swap drops the old table in the transaction that parks it, so a table
                    // here is not rpcl's to drop: it may be the only copy of someone's data.
                    throw RpclException.failed("Refusing to drop the helper schemas in database " + db.config().database()
                            + ": " + DROP_SCHEMA + " holds table(s) " + String.join(", ", parked)
                            + ", which may be users' data. Check them, move them back with ALTER TABLE "
                            + DROP_SCHEMA + ".<name> SET SCHEMA <schema> or drop them, then run drop_schema again.");
                }
                int triggers = dropLeftoverTriggers(c);
                List<String> copies = tablesIn(c, NEW_SCHEMA);
                List<String> dependents = new ArrayList<>();
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(OUTSIDE_DEPENDENTS)) {
                    while (rs.next()) {
                        dependents.add(rs.getString(1));
                    }
                }
                if (!dependents.isEmpty()) {
                    throw RpclException.failed("Cannot drop the helper schemas in database " + db.config().database()
                            + ": objects outside them depend on them: " + String.join("; ", dependents)
                            + ". Move or drop those objects first.");
                }
                try (Statement st = c.createStatement()) {
                    st.execute(resource("sql/drop_schema.sql"));
                }
                return new Dropped(triggers, copies);
            });
            LOG.info("Dropped the helper schemas in database {} (connection {}); removed {} leftover trigger(s) and the tables {}",
                    db.config().database(), conn, dropped.triggers(), dropped.copies());
            return new Outcome(conn, true, "Dropped the helper schemas from database " + db.config().database()
                    + (dropped.triggers() > 0 ? "; removed " + dropped.triggers() + " rpcl trigger(s) left on user tables" : "")
                    + (dropped.copies().isEmpty() ? "" : "; removed the unfinished copies and change logs in " + NEW_SCHEMA
                            + ": " + String.join(", ", dropped.copies()))
                    + ".");
        } catch (SQLException e) {
            throw schemaError("drop", db, e);
        }
    }

    /** What drop_schema removed besides the schemas. */
    private record Dropped(int triggers, List<String> copies) {
    }

    /** Drops every trigger of rpcl's (one that calls a function in sch_repnew) left on user tables; their functions go with the schemas. */
    static int dropLeftoverTriggers(Connection c) throws SQLException {
        List<String> drops = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(LEFTOVER_TRIGGERS)) {
            while (rs.next()) {
                LOG.info("Dropping leftover trigger {} on {}.{}", rs.getString(3), rs.getString(1), rs.getString(2));
                drops.add("DROP TRIGGER " + Sql.ident(rs.getString(3)) + " ON " + Sql.qualified(rs.getString(1), rs.getString(2)));
            }
        }
        try (Statement st = c.createStatement()) {
            for (String drop : drops) {
                st.execute(drop);
            }
        }
        return drops.size();
    }

    private static RpclException schemaError(String action, Database db, SQLException e) {
        String hint = SqlStates.is(e, SqlStates.INSUFFICIENT_PRIVILEGE)
                ? " The user " + db.config().user() + " needs CREATE on the database: GRANT CREATE ON DATABASE "
                        + Sql.ident(db.config().database()) + " TO " + Sql.ident(db.config().user()) + ";"
                : SqlStates.is(e, SqlStates.LOCK_NOT_AVAILABLE)
                        ? " A table is locked by another session; try again when it is idle."
                        : "";
        return RpclException.failed("Cannot " + action + " the helper schemas in database " + db.config().database()
                + " (connection " + db.config().name() + "): " + Database.rootMessage(e) + "." + hint, e);
    }

    static String resource(String name) {
        try (InputStream in = HelperSchema.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the rpcl jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name + " from the rpcl jar", e);
        }
    }
}
