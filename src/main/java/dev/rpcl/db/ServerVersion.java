package dev.rpcl.db;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The major version of the server a connection talks to, for the catalog reads that differ
 * between majors (DESIGN.md, "Versions"). pgjdbc keeps the server_version the server reported at
 * login, so asking costs no round trip.
 */
public final class ServerVersion {
    private ServerVersion() {
    }

    public static int major(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseMajorVersion();
    }

    /** Whether the server is PostgreSQL {@code major} or later. */
    public static boolean atLeast(Connection c, int major) throws SQLException {
        return major(c) >= major;
    }
}
