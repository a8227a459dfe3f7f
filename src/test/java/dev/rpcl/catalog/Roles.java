package dev.rpcl.catalog;

import dev.rpcl.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Extra login-less roles for one test database (roles are cluster-wide, so their names carry
 * the database owner's random suffix), and checks of what a role may do, run as a superuser
 * that SETs ROLE to it.
 */
public final class Roles implements AutoCloseable {
    private final TestDatabase db;
    private final String[] names;

    public Roles(TestDatabase db, String... suffixes) {
        this.db = db;
        this.names = new String[suffixes.length];
        for (int i = 0; i < suffixes.length; i++) {
            names[i] = db.owner() + "_" + suffixes[i];
            db.executeAsAdmin("CREATE ROLE " + names[i] + " NOLOGIN");
        }
    }

    /** The full name of the role created with {@code suffix}. */
    public String name(String suffix) {
        return db.owner() + "_" + suffix;
    }

    /** Whether {@code role} may run {@code sql}; false when it is refused for lack of privilege. */
    boolean may(String role, String sql) {
        try (Connection c = db.adminConnection(); Statement st = c.createStatement()) {
            st.execute("SET ROLE " + role);
            st.execute(sql);
            return true;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                return false;
            }
            throw new IllegalStateException(role + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /** The single value {@code sql} returns for {@code role}. */
    String scalar(String role, String sql) {
        try (Connection c = db.adminConnection(); Statement st = c.createStatement()) {
            st.execute("SET ROLE " + role);
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(role + ": " + sql + ": " + e.getMessage(), e);
        }
    }

    /** Drops the roles; call after the database is gone, which takes their privileges with it. */
    @Override
    public void close() {
        try (Connection c = db.server().admin("postgres"); Statement st = c.createStatement()) {
            for (String n : names) {
                st.execute("DROP ROLE IF EXISTS " + n);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test roles", e);
        }
    }
}
