package dev.rpcl.config;

import dev.rpcl.RpclException;
import dev.rpcl.config.TableConf.TableName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The table configuration checked against the database before any table is touched: a JSON
 * rule on a missing column, a generated column or a column of the wrong type is an error for the
 * tables about to be repacked; a section naming a table or schema that does not exist is a
 * warning (a typo there would otherwise leave a table silently untouched).
 */
public record TableConfCheck(List<String> errors, List<String> warnings) {

    private static final String COLUMNS_SQL = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), %s
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')
            ORDER BY a.attnum
            """;

    private static final String SCHEMA_SQL = "SELECT 1 FROM pg_namespace WHERE nspname = ?";

    public TableConfCheck {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
    }

    /**
     * Checks {@code conf} on the database of {@code conn} for the tables about to be repacked.
     * Tables named in the file but not in {@code repacked} are checked too, with warnings only.
     */
    public static TableConfCheck run(Connection conn, TableConf conf, Collection<TableName> repacked) {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Set<TableName> toRepack = new HashSet<>(repacked);
        conf.namedTables().forEach((name, section) -> {
            Optional<List<TableColumn>> columns = columns(conn, name.schema(), name.table());
            if (columns.isEmpty()) {
                warnings.add("Table configuration " + conf.file() + ", section " + section + ": there is no table "
                        + name + " in the database, so its settings are not used; check the name (names are case-sensitive).");
                return;
            }
            List<String> problems = conf.settingsFor(name.schema(), name.table()).validate(columns.get());
            if (toRepack.contains(name)) {
                errors.addAll(problems);
            } else {
                warnings.addAll(problems);
            }
        });
        conf.schemaFillfactors().forEach((schema, ff) -> {
            if (!schemaExists(conn, schema)) {
                warnings.add("Table configuration " + conf.file() + ", section " + ff.section() + ": there is no schema "
                        + schema + " in the database, so its fillfactor is not used; check the name (names are case-sensitive).");
            }
        });
        return new TableConfCheck(errors, warnings);
    }

    /** The columns of an ordinary or partitioned table in their order; empty when there is no such table. */
    public static Optional<List<TableColumn>> columns(Connection conn, String schema, String table) {
        try (PreparedStatement ps = conn.prepareStatement(COLUMNS_SQL.formatted(
                // Generated columns, and pg_attribute.attgenerated, came with PostgreSQL 12.
                conn.getMetaData().getDatabaseMajorVersion() >= 12 ? "a.attgenerated <> ''" : "false"))) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                boolean found = false;
                List<TableColumn> columns = new ArrayList<>();
                while (rs.next()) {
                    found = true;
                    // A table may have no columns at all: the LEFT JOIN then gives one row of NULLs.
                    if (rs.getString(1) != null) {
                        columns.add(new TableColumn(rs.getString(1), rs.getString(2), rs.getBoolean(3)));
                    }
                }
                return found ? Optional.of(columns) : Optional.empty();
            }
        } catch (SQLException e) {
            throw RpclException.failed("Cannot read the columns of table " + schema + "." + table
                    + " to check the table configuration: " + e.getMessage(), e);
        }
    }

    private static boolean schemaExists(Connection conn, String schema) {
        try (PreparedStatement ps = conn.prepareStatement(SCHEMA_SQL)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw RpclException.failed("Cannot check whether schema " + schema
                    + " exists for the table configuration: " + e.getMessage(), e);
        }
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** Stops the run before any table is touched when a rule cannot be applied; one line, every problem. */
    public void throwIfErrors() {
        if (!errors.isEmpty()) {
            throw RpclException.badInput(errors.size() == 1 ? errors.get(0)
                    : errors.size() + " problems in the table configuration: " + String.join(" ", errors));
        }
    }
}
