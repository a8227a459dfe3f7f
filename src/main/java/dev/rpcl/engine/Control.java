package dev.rpcl.engine;

import dev.rpcl.db.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Steering a run from any shell or machine: requests in sch_repcloud.t_control, per table or for
 * every table of the database ('*'). {@code pause}: the run waits at its next safe point (between
 * replay batches, index builds and swap attempts; the copy, one statement, runs to its end) and
 * goes on when the request is withdrawn. {@code postpone_swap}: the run keeps replaying, so the
 * change log stays short, but does not take its lock until the request is withdrawn (gh-ost's
 * postponed cut-over). A stop request wins over both.
 */
public final class Control {
    public static final String PAUSE = "pause";
    public static final String POSTPONE_SWAP = "postpone_swap";

    /** Created by create_schema; made here too for helper schemas an earlier rpcl created. */
    private static final String CREATE = """
            CREATE TABLE IF NOT EXISTS sch_repcloud.t_control (
                v_schema_name text NOT NULL DEFAULT '*',
                v_table_name  text NOT NULL DEFAULT '*',
                v_action      text NOT NULL CHECK (v_action IN ('pause', 'postpone_swap')),
                v_requested_by text NOT NULL DEFAULT current_user,
                ts_requested  timestamptz NOT NULL DEFAULT now(),
                t_reason      text,
                PRIMARY KEY (v_schema_name, v_table_name, v_action)
            )""";

    private static final String FIND = """
            SELECT v_action, v_schema_name || '.' || v_table_name AS target, v_requested_by,
                   to_char(ts_requested AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS since, t_reason
              FROM sch_repcloud.t_control
             WHERE v_action = ? AND ((v_schema_name = ? AND v_table_name = ?) OR (v_schema_name = '*' AND v_table_name = '*'))
             ORDER BY v_schema_name = '*'
            """;

    private Control() {
    }

    /** One request, described for the log and status. */
    public record Request(String action, String target, String requestedBy, String since, String reason) {
        public String describe() {
            return action.replace('_', ' ') + " requested by " + requestedBy + " at " + since
                    + ("*.*".equals(target) ? " for every table" : " for " + target) + (reason == null ? "" : ": " + reason);
        }
    }

    static void ensureTable(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(CREATE);
        }
    }

    /** The request of this kind that applies to the table, if any; none when the helper schema predates them. */
    static Optional<Request> find(Connection c, RepackTable t, String action) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FIND)) {
            ps.setString(1, action);
            ps.setString(2, t.ref().schema());
            ps.setString(3, t.ref().name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Request(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5))) : Optional.empty();
            }
        } catch (SQLException e) {
            if (SqlStates.is(e, "42P01") && c.getAutoCommit()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Records a request ({@code table} null: every table); returns false when it was there already. */
    public static boolean request(Connection c, String action, String table, String reason) throws SQLException {
        ensureTable(c);
        String[] target = split(table);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sch_repcloud.t_control (v_schema_name, v_table_name, v_action,"
                + " t_reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, target[0]);
            ps.setString(2, target[1]);
            ps.setString(3, action);
            ps.setString(4, reason);
            return ps.executeUpdate() == 1;
        }
    }

    /** Withdraws a request ({@code table} null: the one for every table); returns false when there was none. */
    public static boolean withdraw(Connection c, String action, String table) throws SQLException {
        ensureTable(c);
        String[] target = split(table);
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM sch_repcloud.t_control WHERE v_schema_name = ?"
                + " AND v_table_name = ? AND v_action = ?")) {
            ps.setString(1, target[0]);
            ps.setString(2, target[1]);
            ps.setString(3, action);
            return ps.executeUpdate() > 0;
        }
    }

    /** Every request in force, for status. */
    public static List<Request> all(Connection c) throws SQLException {
        List<Request> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT v_action, v_schema_name || '.' || v_table_name,"
                + " v_requested_by, to_char(ts_requested AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'), t_reason"
                + " FROM sch_repcloud.t_control ORDER BY ts_requested")) {
            while (rs.next()) {
                out.add(new Request(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
        } catch (SQLException e) {
            if (!SqlStates.is(e, "42P01")) {
                throw e;
            }
        }
        return out;
    }

    private static String[] split(String table) {
        if (table == null) {
            return new String[] {"*", "*"};
        }
        int dot = table.indexOf('.');
        return new String[] {table.substring(0, dot), table.substring(dot + 1)};
    }
}
