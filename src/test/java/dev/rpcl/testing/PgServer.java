package dev.rpcl.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The PostgreSQL server the tests use: the one the PG* environment variables name (default
 * 127.0.0.1:5432 as postgres), or, when that is unreachable and Docker is, a Testcontainers one.
 * Tests connect to it as a superuser only to create and drop their database and role.
 */
public final class PgServer {
    private static PgServer instance;

    final String host;
    final int port;
    final String adminUser;
    final String adminPassword;

    private PgServer(String host, int port, String adminUser, String adminPassword) {
        this.host = host;
        this.port = port;
        this.adminUser = adminUser;
        this.adminPassword = adminPassword;
    }

    public static synchronized PgServer get() {
        if (instance == null) {
            instance = locate();
        }
        return instance;
    }

    private static PgServer locate() {
        String host = env("PGHOST", "127.0.0.1");
        int port = Integer.parseInt(env("PGPORT", "5432"));
        PgServer local = new PgServer(host, port, env("PGUSER", "postgres"), System.getenv("PGPASSWORD"));
        try (Connection c = local.admin("postgres")) {
            return local;
        } catch (SQLException unreachable) {
            if (!org.testcontainers.DockerClientFactory.instance().isDockerAvailable()) {
                throw new IllegalStateException("No PostgreSQL at " + host + ":" + port + " ("
                        + unreachable.getMessage() + ") and no Docker for Testcontainers; start PostgreSQL or set PG* variables");
            }
            @SuppressWarnings("resource") // lives as long as the test JVM
            var container = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:15");
            container.start();
            return new PgServer(container.getHost(), container.getFirstMappedPort(), container.getUsername(),
                    container.getPassword());
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public Connection admin(String database) throws SQLException {
        return connect(database, adminUser, adminPassword);
    }

    public Connection connect(String database, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, p);
    }
}
