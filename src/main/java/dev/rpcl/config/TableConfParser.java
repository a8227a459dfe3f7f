package dev.rpcl.config;

import dev.rpcl.RpclException;
import dev.rpcl.config.TableConf.Fillfactor;
import dev.rpcl.config.TableConf.TableName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Walks a table_conf file. The file is one tree read two ways, as repcloud reads it:
 * {@code storage -> SCHEMA -> TABLE -> fillfactor} for storage, and
 * {@code SCHEMA -> TABLE -> COLUMN -> cleanup_nulls | remove_keys} for JSON rules. So a table in
 * a schema literally named "storage" still gets its JSON rules from {@code [storage.TABLE]}.
 * Everything else is warned about, never silently dropped.
 */
final class TableConfParser {
    private static final String STORAGE = "storage";
    private static final String FILLFACTOR = "fillfactor";
    private static final String MIN_GAIN = "min_gain";
    private static final String MIN_GAIN_RATIO = "min_gain_ratio";
    private static final String ENGINE = "engine";
    private static final String CLEANUP_NULLS = "cleanup_nulls";
    private static final String REMOVE_KEYS = "remove_keys";

    private final Path file;
    private final TableConfValues values;
    private final List<String> warnings = new ArrayList<>();
    private Fillfactor global;
    private final Map<String, Fillfactor> schemas = new LinkedHashMap<>();
    private final Map<TableName, Fillfactor> tables = new LinkedHashMap<>();
    private final Map<TableName, Fillfactor> legacyTables = new LinkedHashMap<>();
    private final Map<TableName, Map<String, ColumnRule>> rules = new LinkedHashMap<>();
    private final Map<String, TableConf.Thresholds> thresholds = new LinkedHashMap<>();
    private final Map<String, ConnectionConfig.Engine> engines = new LinkedHashMap<>();

    TableConfParser(Path file) {
        this.file = file;
        this.values = new TableConfValues(file);
    }

    TableConf parse(String text) {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError error = toml.errors().get(0);
            throw RpclException.badInput("Syntax error in the table configuration " + file + " at line "
                    + error.position().line() + ", column " + error.position().column() + ": " + error.getMessage()
                    + ". Names that are not plain words need quotes, e.g. [\"my schema\".\"t.1\"].");
        }
        for (String key : toml.keySet()) {
            Object value = toml.get(List.of(key));
            if (value instanceof TomlTable section) {
                if (key.equals(STORAGE)) {
                    storage(section);
                } else {
                    schema(key, section);
                }
            } else {
                warn(key, List.of(), "per-table settings go in the sections [storage], [storage.SCHEMA], "
                        + "[storage.SCHEMA.TABLE] and [SCHEMA.TABLE]");
            }
        }
        mergeLegacyFillfactors();
        return new TableConf(file, true, global, schemas, tables, rules, warnings, thresholds, engines);
    }

    /** {@code [storage]}: fillfactor for every table, or schema sections. */
    private void storage(TomlTable t) {
        List<String> path = List.of(STORAGE);
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            if (value instanceof TomlTable schema) {
                storageSchema(key, schema);
            } else if (key.equals(FILLFACTOR)) {
                global = values.fillfactor(value, path);
            } else if (!levelSetting("", key, value, path)) {
                warn(key, path, "[storage] holds only fillfactor, min_gain, min_gain_ratio, engine and [storage.SCHEMA] sections");
            }
        }
    }

    /** {@code [storage.SCHEMA]}: fillfactor for the schema's tables, or table sections. */
    private void storageSchema(String schema, TomlTable t) {
        List<String> path = List.of(STORAGE, schema);
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            if (value instanceof TomlTable table) {
                storageTable(schema, key, table);
            } else if (key.equals(FILLFACTOR)) {
                schemas.put(schema, values.fillfactor(value, path));
            } else if (!levelSetting(TableConf.schemaLevel(schema), key, value, path)) {
                warn(key, path, "[storage.SCHEMA] holds only fillfactor, min_gain, min_gain_ratio, engine and [storage.SCHEMA.TABLE]"
                        + " sections");
            }
        }
    }

    /**
     * {@code [storage.SCHEMA.TABLE]}: the table's fillfactor; cleanup_nulls and remove_keys here
     * are JSON rules for column TABLE of table SCHEMA in the schema named "storage".
     */
    private void storageTable(String schema, String table, TomlTable t) {
        List<String> path = List.of(STORAGE, schema, table);
        if (t.keySet().contains(FILLFACTOR) && !(t.get(List.of(FILLFACTOR)) instanceof TomlTable)) {
            tables.put(new TableName(schema, table), values.fillfactor(t.get(List.of(FILLFACTOR)), path));
        }
        if (t.keySet().contains(CLEANUP_NULLS) || t.keySet().contains(REMOVE_KEYS)) {
            column(STORAGE, schema, table, t, List.of(FILLFACTOR));
            return;
        }
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            boolean known = !(value instanceof TomlTable)
                    && (key.equals(FILLFACTOR) || levelSetting(TableConf.tableLevel(schema, table), key, value, path));
            if (!known) {
                warn(key, path, "[storage.SCHEMA.TABLE] holds only fillfactor, min_gain, min_gain_ratio and engine; quote names that"
                        + " contain dots, e.g. [storage.public.\"t.1\"]");
            }
        }
    }

    /** min_gain, min_gain_ratio or engine at one level of [storage]; false for any other key. */
    private boolean levelSetting(String level, String key, Object value, List<String> path) {
        TableConf.Thresholds now = thresholds.getOrDefault(level, TableConf.Thresholds.NONE);
        if (key.equals(ENGINE)) {
            engines.put(level, values.engine(value, path, key));
        } else if (key.equals(MIN_GAIN)) {
            thresholds.put(level, new TableConf.Thresholds(values.size(value, path, key), now.minGainRatio()));
        } else if (key.equals(MIN_GAIN_RATIO)) {
            thresholds.put(level, new TableConf.Thresholds(now.minGain(), values.fraction(value, path, key)));
        } else {
            return false;
        }
        return true;
    }

    /** {@code [SCHEMA]}: only table sections. */
    private void schema(String schema, TomlTable t) {
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            if (value instanceof TomlTable table) {
                table(schema, key, table);
            } else {
                warn(key, List.of(schema), key.equals(FILLFACTOR)
                        ? "a schema's fillfactor goes in [storage." + TomlNames.key(schema) + "]"
                        : "JSON rules go in [SCHEMA.TABLE] sections, e.g. [" + TomlNames.key(schema) + ".orders]");
            }
        }
    }

    /** {@code [SCHEMA.TABLE]}: one sub-table per column with JSON rules, or repcloud's old fillfactor. */
    private void table(String schema, String table, TomlTable t) {
        List<String> path = List.of(schema, table);
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            if (value instanceof TomlTable columnRules) {
                column(schema, table, key, columnRules, List.of());
            } else if (key.equals(FILLFACTOR)) {
                legacyTables.put(new TableName(schema, table), values.fillfactor(value, path));
            } else if (key.equals(CLEANUP_NULLS) || key.equals(REMOVE_KEYS)) {
                warn(key, path, "a JSON rule names its column: write COLUMN." + key
                        + (key.equals(CLEANUP_NULLS) ? " = true" : " = [\"key1\"]"));
            } else {
                warn(key, path, "[SCHEMA.TABLE] holds COLUMN.cleanup_nulls and COLUMN.remove_keys");
            }
        }
    }

    /** The rule for one column: {@code COLUMN.cleanup_nulls} and {@code COLUMN.remove_keys}. */
    private void column(String schema, String table, String column, TomlTable t, List<String> otherKnownKeys) {
        List<String> path = List.of(schema, table, column);
        String section = TomlNames.section(List.of(schema, table));
        boolean cleanupNulls = false;
        List<String> removeKeys = List.of();
        for (String key : t.keySet()) {
            Object value = t.get(List.of(key));
            if (key.equals(CLEANUP_NULLS) && !(value instanceof TomlTable)) {
                cleanupNulls = values.bool(value, path, key);
            } else if (key.equals(REMOVE_KEYS) && !(value instanceof TomlTable)) {
                removeKeys = values.strings(value, path, key);
            } else if (!otherKnownKeys.contains(key) || value instanceof TomlTable) {
                warn(key, path, "a column takes cleanup_nulls and remove_keys; quote names that contain dots, "
                        + "e.g. [public.\"t.1\"] or \"my.column\".cleanup_nulls");
            }
        }
        String where = "column " + column + " in section " + section + " of " + file;
        if (cleanupNulls && !removeKeys.isEmpty()) {
            warnings.add("Both cleanup_nulls and remove_keys are set for " + where
                    + ": cleanup_nulls wins, as in repcloud, and the keys are not removed.");
        } else if (t.keySet().contains(REMOVE_KEYS) && removeKeys.isEmpty()) {
            warnings.add("remove_keys is empty for " + where + ": no key is removed.");
        }
        if (!t.keySet().contains(CLEANUP_NULLS) && !t.keySet().contains(REMOVE_KEYS)) {
            return;
        }
        rules.computeIfAbsent(new TableName(schema, table), k -> new LinkedHashMap<>())
                .put(column, new ColumnRule(column, section, cleanupNulls, removeKeys));
    }

    /** repcloud's first example put fillfactor in [SCHEMA.TABLE]; accept it, say where it belongs. */
    private void mergeLegacyFillfactors() {
        legacyTables.forEach((name, legacy) -> {
            String canonical = TomlNames.section(List.of(STORAGE, name.schema(), name.table()));
            Fillfactor storage = tables.get(name);
            if (storage == null) {
                tables.put(name, legacy);
                warnings.add("fillfactor in " + legacy.section() + " of " + file + " is repcloud's old form; it is used for "
                        + name + ", but write it as fillfactor = " + legacy.value() + " in " + canonical + ".");
            } else if (storage.value() != legacy.value()) {
                throw RpclException.badInput("Two fillfactors for " + name + " in the table configuration " + file + ": "
                        + storage.value() + " in " + storage.section() + " and " + legacy.value() + " in "
                        + legacy.section() + ". Keep only the one in " + canonical + ".");
            } else {
                warnings.add("fillfactor in " + legacy.section() + " of " + file + " repeats the one in " + canonical
                        + "; remove it from " + legacy.section() + ".");
            }
        });
    }

    private void warn(String key, List<String> path, String hint) {
        String where = path.isEmpty() ? "at the top" : "in section " + TomlNames.section(path);
        warnings.add("Unknown key " + TomlNames.key(key) + " " + where + " of " + file + " is ignored: " + hint + ".");
    }
}
