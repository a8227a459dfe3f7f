package dev.rpcl.config;

import dev.rpcl.RpclException;
import dev.rpcl.db.Sql;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What table_conf says about one table: the fillfactor of its copy and the JSON cleanup of its
 * columns. The engine builds the copy's and the replay's {@code INSERT ... SELECT} from
 * {@link #selectList}, so copied and replayed rows are cleaned alike.
 */
public final class TableSettings {
    private final Path file;
    private final String schema;
    private final String table;
    private final TableConf.Fillfactor fillfactor;
    private final Map<String, ColumnRule> rules;

    TableSettings(Path file, String schema, String table, TableConf.Fillfactor fillfactor, Map<String, ColumnRule> rules) {
        this.file = file;
        this.schema = schema;
        this.table = table;
        this.fillfactor = fillfactor;
        this.rules = Collections.unmodifiableMap(new LinkedHashMap<>(rules));
    }

    /** The fillfactor for the copy, when table_conf sets one at any level. */
    public OptionalInt fillfactor() {
        return fillfactor == null ? OptionalInt.empty() : OptionalInt.of(fillfactor.value());
    }

    /** The section the fillfactor comes from, e.g. {@code [storage.public]}; null without one. */
    public String fillfactorSection() {
        return fillfactor == null ? null : fillfactor.section();
    }

    /** The JSON rules by column name. */
    public Map<String, ColumnRule> rules() {
        return rules;
    }

    public boolean isDefault() {
        return fillfactor == null && rules.isEmpty();
    }

    /**
     * The copy's storage options: the original's, given as name -> value, with the configured
     * fillfactor in place of the original's. The engine creates the copy WITH these, so the
     * rows are written with the configured fillfactor and the repacked table keeps it.
     */
    public Map<String, String> storageOptions(Map<String, String> original) {
        if (fillfactor == null) {
            return original;
        }
        Map<String, String> options = new LinkedHashMap<>(original);
        options.put("fillfactor", Integer.toString(fillfactor.value()));
        return options;
    }

    /**
     * The SELECT-list expression for one column: the column itself, {@code json_strip_nulls},
     * {@code jsonb_strip_nulls}, or the removal of top-level keys from jsonb objects.
     * {@code alias} qualifies the column reference when not null.
     */
    public String selectExpression(String column, String type, String alias) {
        return cleanupExpression(column, type, alias == null ? Sql.ident(column) : Sql.ident(alias) + "." + Sql.ident(column));
    }

    /**
     * The same as {@link #selectExpression}, for a caller that already holds the quoted
     * reference to the column, e.g. {@code o."payload"}. Other jsonb values than objects pass
     * unchanged through remove_keys: {@code -} fails on a scalar and removes elements from an array.
     */
    public String cleanupExpression(String column, String type, String reference) {
        ColumnRule rule = rules.get(column);
        if (rule == null || !rule.changesValues()) {
            return reference;
        }
        String problem = typeProblem(rule, type);
        if (problem != null) {
            throw RpclException.badInput(where(rule) + problem);
        }
        if (rule.cleanupNulls()) {
            return ("json".equals(type) ? "json_strip_nulls(" : "jsonb_strip_nulls(") + reference + ")";
        }
        String keys = rule.removeKeys().stream().map(Sql::literal).collect(Collectors.joining(", "));
        return "CASE WHEN jsonb_typeof(" + reference + ") = 'object' THEN " + reference + " - ARRAY[" + keys
                + "]::text[] ELSE " + reference + " END";
    }

    /** The SELECT list for the columns in their order, each through {@link #selectExpression}. */
    public String selectList(List<TableColumn> columns, String alias) {
        return columns.stream().map(c -> selectExpression(c.name(), c.type(), alias)).collect(Collectors.joining(", "));
    }

    /** The matching INSERT target list: the quoted column names in the same order. */
    public static String columnList(List<TableColumn> columns) {
        return columns.stream().map(c -> Sql.ident(c.name())).collect(Collectors.joining(", "));
    }

    /**
     * What is wrong with the rules for this table's actual columns, one message per problem,
     * naming the file, section and column: a missing column, a generated one, or a type the rule
     * cannot work on. Empty when every rule can be applied.
     */
    public List<String> validate(List<TableColumn> columns) {
        Map<String, TableColumn> byName = new LinkedHashMap<>();
        columns.forEach(c -> byName.put(c.name(), c));
        List<String> problems = new ArrayList<>();
        for (ColumnRule rule : rules.values()) {
            TableColumn column = byName.get(rule.column());
            if (column == null) {
                problems.add(where(rule) + "table " + display() + " has no such column" + similar(rule.column(), byName.keySet())
                        + "; fix the name (names are case-sensitive) or remove the rule.");
            } else if (column.generated()) {
                problems.add(where(rule) + "it is a generated column, which the copy computes itself; remove the rule.");
            } else if (rule.changesValues()) {
                String problem = typeProblem(rule, column.type());
                if (problem != null) {
                    problems.add(where(rule) + problem);
                }
            }
        }
        return problems;
    }

    /** One line for the log: what table_conf changes for this table. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (fillfactor != null) {
            parts.add("fillfactor " + fillfactor.value() + " from " + fillfactor.section());
        }
        for (ColumnRule rule : rules.values()) {
            if (rule.cleanupNulls()) {
                parts.add("strip null values from " + rule.column());
            } else if (!rule.removeKeys().isEmpty()) {
                parts.add("remove keys " + String.join(", ", rule.removeKeys()) + " from " + rule.column());
            }
        }
        return parts.isEmpty() ? "no table settings" : String.join("; ", parts);
    }

    private static String typeProblem(ColumnRule rule, String type) {
        if (rule.cleanupNulls()) {
            return "json".equals(type) || "jsonb".equals(type) ? null
                    : "cleanup_nulls needs a json or jsonb column, but " + rule.column() + " is " + type + ".";
        }
        if (!rule.removeKeys().isEmpty() && !"jsonb".equals(type)) {
            return "remove_keys needs a jsonb column, but " + rule.column() + " is " + type
                    + ("json".equals(type) ? " (cleanup_nulls works on json too)." : ".");
        }
        return null;
    }

    private String where(ColumnRule rule) {
        return "Table configuration " + file + ", section " + rule.section() + ", column " + rule.column() + ": ";
    }

    private static String similar(String name, Set<String> existing) {
        return existing.stream().filter(e -> e.equalsIgnoreCase(name)).findFirst()
                .map(e -> " (there is " + e + ")").orElse("");
    }

    private String display() {
        return schema + "." + table;
    }

    @Override
    public String toString() {
        return display() + ": " + describe();
    }
}
