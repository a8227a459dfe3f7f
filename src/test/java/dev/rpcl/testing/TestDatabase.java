package dev.rpcl.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh database for one test class, owned by a fresh NON-superuser role, which is what rpcl
 * connects as: the product promises to work without superuser. Dropped (with the role) on close.
 */
public final class TestDatabase implements AutoCloseable {
    public static final String OWNER_PASSWORD = "rpcl-test";

    private final PgServer server;
    private final String name;
    private final String owner;

    private TestDatabase(PgServer server, String name, String owner) {
        this.server = server;
        this.name = name;
        this.owner = owner;
    }

    public static TestDatabase create(Class<?> testClass) {
        PgServer server = PgServer.get();
        String suffix = Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (base.length() > 30) {
            base = base.substring(0, 30);
        }
        String name = "rpcl_" + base + "_" + suffix;
        String owner = "rpcl_owner_" + suffix;
        try (Connection c = server.admin("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + owner + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" + OWNER_PASSWORD + "'");
            st.execute("CREATE DATABASE " + name + " OWNER " + owner);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        // On PostgreSQL 15 the public schema belongs to pg_database_owner, so the owner role may
        // create its tables there without any grant.
        return new TestDatabase(server, name, owner);
    }

    public String name() {
        return name;
    }

    public String owner() {
        return owner;
    }

    public PgServer server() {
        return server;
    }

    /** A connection as the non-superuser owner, the role rpcl runs as. */
    public Connection ownerConnection() throws SQLException {
        return server.connect(name, owner, OWNER_PASSWORD);
    }

    /** A superuser connection to this database, for setting up what an owner cannot. */
    public Connection adminConnection() throws SQLException {
        return server.admin(name);
    }

    /** Runs statements as the owner, one after the other, in autocommit. */
    public void execute(String... statements) {
        try (Connection c = ownerConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed: " + e.getMessage(), e);
        }
    }

    /** Runs statements as a superuser in this database. */
    public void executeAsAdmin(String... statements) {
        try (Connection c = adminConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed: " + e.getMessage(), e);
        }
    }

    /** Rows of a query as strings, one list per row, as the owner. */
    public List<List<String>> query(String sql) {
        try (Connection c = ownerConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + e.getMessage(), e);
        }
    }

    /**
     * amcheck over every user table and valid B-tree index: verify_heapam finds no corrupt tuple,
     * bt_index_check(heapallindexed) finds every heap tuple in each index. Installs amcheck in
     * this database, so call it after the last schema dump that is compared.
     */
    public void assertAmcheckClean() {
        List<String> problems = new ArrayList<>();
        try (Connection c = adminConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
            List<String> heaps = new ArrayList<>();
            List<String> indexes = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("""
                    SELECT c.oid, c.relkind = 'i' AS is_index, c.oid::regclass::text
                      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                      LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
                      LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relpersistence = 'p'
                       AND (c.relkind IN ('r', 'm') OR (c.relkind = 'i' AND am.amname = 'btree' AND i.indisvalid))
                     ORDER BY 1""")) {
                while (rs.next()) {
                    (rs.getBoolean(2) ? indexes : heaps).add(rs.getString(1));
                }
            }
            for (String heap : heaps) {
                try (ResultSet rs = st.executeQuery("SELECT " + heap + "::regclass::text, msg FROM verify_heapam(" + heap + ")")) {
                    while (rs.next()) {
                        problems.add(rs.getString(1) + ": " + rs.getString(2));
                    }
                }
            }
            for (String index : indexes) {
                try {
                    st.execute("SELECT bt_index_check(" + index + ", true)");
                } catch (SQLException e) {
                    problems.add(e.getMessage());
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("amcheck failed: " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("amcheck found problems:\n" + String.join("\n", problems));
        }
    }

    /** The server's major version: 14 to 19. */
    public int major() {
        return Integer.parseInt(scalar("SHOW server_version_num")) / 10000;
    }

    /**
     * A compression method a column can be set to that is not the default: lz4 where the server
     * was built with it (Debian's are), else pglz (the official builds of io.zonky.test.postgres
     * lack lz4), which an explicit SET COMPRESSION records all the same.
     */
    public String explicitCompression() {
        return "lz4".equals(scalar("SELECT 'lz4' FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)"))
                ? "lz4" : "pglz";
    }

    /**
     * Functions that make rpcl's own statements slow, 1 ms a row, and nobody else's (they sleep
     * only in sessions named 'repcloud - ...'): {@code slow_ok(int)} for a CHECK the copy
     * evaluates, {@code slow_key(int)} for an index expression its builds evaluate. Qualified, as
     * since 17 an index expression is evaluated with search_path = pg_catalog, pg_temp.
     */
    public void createSlowFunctions() {
        execute("""
                CREATE FUNCTION rpcl_pause() RETURNS void LANGUAGE plpgsql AS $$BEGIN
                  IF current_setting('application_name') LIKE 'repcloud - %' THEN PERFORM pg_sleep(0.001); END IF;
                END$$""", """
                CREATE FUNCTION slow_ok(int) RETURNS boolean LANGUAGE plpgsql AS
                $$BEGIN PERFORM public.rpcl_pause(); RETURN true; END$$""", """
                CREATE FUNCTION slow_key(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
                $$BEGIN PERFORM public.rpcl_pause(); RETURN $1; END$$""");
    }

    /**
     * The twin-workload oracle: {@code table} and {@code <table>_twin} hold the same rows, as
     * multisets, both ways round.
     */
    public void assertEqualToTwin(String table) {
        String twin = table + "_twin";
        org.junit.jupiter.api.Assertions.assertEquals("0", scalar("SELECT count(*) FROM (SELECT * FROM " + table
                + " EXCEPT ALL SELECT * FROM " + twin + ") x"), "rows in " + table + " that are not in its twin");
        org.junit.jupiter.api.Assertions.assertEquals("0", scalar("SELECT count(*) FROM (SELECT * FROM " + twin
                + " EXCEPT ALL SELECT * FROM " + table + ") x"), "rows in " + twin + " that are not in " + table);
    }

    /** The single value of a query. */
    public String scalar(String sql) {
        List<List<String>> rows = query(sql);
        return rows.isEmpty() ? null : rows.get(0).get(0);
    }

    /**
     * Writes {@code <home>/config/<configName>.toml} with one connection {@code name} to this
     * database as the owner, logging to {@code <home>/logs}; {@code extraConnectionToml} is
     * appended inside the connection section (e.g. "tables = ['public.t']").
     */
    public Path writeConfig(Path home, String configName, String connection, String extraConnectionToml) {
        String toml = """
                pid_dir = "%1$s/pid"

                [logging]
                log_dir = "%1$s/logs"
                log_level = "debug"
                log_dest = "file"
                log_days_keep = 2

                [notifier]
                enable_email = false

                [connections.%2$s]
                user = "%3$s"
                password = "%4$s"
                host = "%5$s"
                port = %6$d
                database = "%7$s"
                sslmode = "disable"
                %8$s
                """.formatted(home, connection, owner, OWNER_PASSWORD, server.host(), server.port(), name,
                withoutThresholds(extraConnectionToml == null ? "" : extraConnectionToml));
        try {
            Files.createDirectories(home.resolve("config"));
            Path file = home.resolve("config").resolve(configName + ".toml");
            Files.writeString(file, toml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Tests repack small tables: unless a test sets them, min_gain and min_gain_ratio are 0, so
     * that every selected table is repacked whatever its bloat; and engine is rpcl.
     */
    private static String withoutThresholds(String extra) {
        String out = extra;
        if (!extra.contains("min_gain =") && !extra.contains("min_gain=")) {
            out += "\nmin_gain = \"0\"";
        }
        if (!extra.contains("min_gain_ratio")) {
            out += "\nmin_gain_ratio = 0";
        }
        // The tests of rpcl's engine run it on every version; those of REPACK (CONCURRENTLY) and of
        // the automatic choice set engine themselves.
        if (!extra.contains("engine =")) {
            out += "\nengine = \"rpcl\"";
        }
        return out;
    }

    /** pg_dump --schema-only of this database without rpcl's helper schemas, as text. */
    public String schemaDump() {
        try {
            ProcessBuilder pb = new ProcessBuilder("pg_dump", "--schema-only",
                    "-h", server.host(), "-p", Integer.toString(server.port()), "-U", server.adminUser,
                    "--exclude-schema=sch_repcloud", "--exclude-schema=sch_repnew", "--exclude-schema=sch_repdrop",
                    name);
            if (server.adminPassword != null) {
                pb.environment().put("PGPASSWORD", server.adminPassword);
            }
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("pg_dump failed: " + err);
            }
            // pg_dump 15.14+ brackets its output with restrict and unrestrict lines carrying a random key per run.
            return withoutServerStamps(out.replaceAll("(?m)^\\\\(un)?restrict \\S+$", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Some server builds here stamp every new column with an attribute option of their own,
     * {@code pg_attver=N}, whose value differs per table and which ALTER ... SET cannot change (the
     * server keeps its own). No table rebuilt under another OID can carry it, and no user sets it:
     * dumps are compared with its value masked, and every other option of the column as it is.
     */
    static String withoutServerStamps(String dump) {
        return dump.replaceAll("pg_attver=\\d+", "pg_attver=N");
    }

    @Override
    public void close() {
        try (Connection c = server.admin("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            st.execute("DROP ROLE IF EXISTS " + owner);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name, e);
        }
    }
}
