package dev.rpcl.config;

import dev.rpcl.RpclException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-table settings of one connection, read from
 * {@code config/table_conf/<config>_<connection>.toml} as repcloud reads them:
 * <ul>
 * <li>fillfactor in {@code [storage]} (every table), {@code [storage.SCHEMA]} and
 * {@code [storage.SCHEMA.TABLE]}; the most specific level that sets it wins, each level on its
 * own (repcloud ignored the schema and table levels unless [storage] set one too);</li>
 * <li>min_gain, min_gain_ratio and engine at the same three levels, each key on its own;</li>
 * <li>{@code COLUMN.cleanup_nulls} and {@code COLUMN.remove_keys} in {@code [SCHEMA.TABLE]};</li>
 * <li>repcloud's first example wrote {@code fillfactor} directly in {@code [SCHEMA.TABLE]}; rpcl
 * takes it as the table's fillfactor and warns that {@code [storage.SCHEMA.TABLE]} is the form
 * to use.</li>
 * </ul>
 * A missing file means no settings. Bad values are rejected when the file is read; rules that
 * need the catalog (the column exists and has the right type) are checked by
 * {@link TableConfCheck} before any table is touched.
 */
public final class TableConf {
    private static final Logger LOG = LoggerFactory.getLogger(TableConf.class);

    /** A table named in the file: schema and name exactly as in the catalog (case-sensitive). */
    public record TableName(String schema, String table) {
        @Override
        public String toString() {
            return schema + "." + table;
        }
    }

    /** A fillfactor and the section that set it. */
    public record Fillfactor(int value, String section) {
    }

    /**
     * min_gain and min_gain_ratio as one level of [storage] sets them, null where it does not;
     * the most specific level that sets a key wins, each key on its own.
     */
    public record Thresholds(Long minGain, Double minGainRatio) {
        public static final Thresholds NONE = new Thresholds(null, null);

        /** These, with what they leave unset taken from {@code wider}. */
        Thresholds over(Thresholds wider) {
            return new Thresholds(minGain != null ? minGain : wider.minGain, minGainRatio != null ? minGainRatio : wider.minGainRatio);
        }
    }

    private final Path file;
    private final boolean present;
    private final Fillfactor global;
    private final Map<String, Fillfactor> schemas;
    private final Map<TableName, Fillfactor> tables;
    private final Map<TableName, Map<String, ColumnRule>> rules;
    private final List<String> warnings;
    /** By level: "" for [storage], then {@link #schemaLevel} and {@link #tableLevel} keys. */
    private final Map<String, Thresholds> thresholds;
    /** engine by level, keyed as {@link #thresholds}. */
    private final Map<String, ConnectionConfig.Engine> engines;

    TableConf(Path file, boolean present, Fillfactor global, Map<String, Fillfactor> schemas,
            Map<TableName, Fillfactor> tables, Map<TableName, Map<String, ColumnRule>> rules, List<String> warnings,
            Map<String, Thresholds> thresholds, Map<String, ConnectionConfig.Engine> engines) {
        this.thresholds = Map.copyOf(thresholds);
        this.engines = Map.copyOf(engines);
        this.file = file;
        this.present = present;
        this.global = global;
        this.schemas = Collections.unmodifiableMap(new LinkedHashMap<>(schemas));
        this.tables = Collections.unmodifiableMap(new LinkedHashMap<>(tables));
        Map<TableName, Map<String, ColumnRule>> copy = new LinkedHashMap<>();
        rules.forEach((k, v) -> copy.put(k, Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        this.rules = Collections.unmodifiableMap(copy);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * The settings of connection {@code connection} of configuration {@code configName}; no
     * settings when the file does not exist, as in repcloud.
     */
    public static TableConf load(RpclHome home, String configName, String connection) {
        Path file = home.tableConfFile(configName, connection);
        if (!Files.exists(file)) {
            LOG.debug("No table configuration {}: every table keeps its storage settings and its values", file);
            return none(file);
        }
        try {
            return parse(file, Files.readString(file));
        } catch (IOException e) {
            throw RpclException.badInput("Cannot read the table configuration " + file + ": " + e.getMessage()
                    + ". Check its permissions, or remove it to repack with no per-table settings.");
        }
    }

    /** Parses the text of a table configuration file; {@code file} names it in messages. */
    public static TableConf parse(Path file, String text) {
        return new TableConfParser(file).parse(text);
    }

    /** No per-table settings. */
    public static TableConf none(Path file) {
        return new TableConf(file, false, null, Map.of(), Map.of(), Map.of(), List.of(), Map.of(), Map.of());
    }

    public Path file() {
        return file;
    }

    /** Whether the file exists. */
    public boolean present() {
        return present;
    }

    /** Unknown keys, ignored rules and deprecated forms, one line each; the caller logs them. */
    public List<String> warnings() {
        return warnings;
    }

    /** Everything that applies to {@code schema.table}. */
    public TableSettings settingsFor(String schema, String table) {
        TableName name = new TableName(schema, table);
        Fillfactor ff = tables.get(name);
        if (ff == null) {
            ff = schemas.get(schema);
        }
        if (ff == null) {
            ff = global;
        }
        return new TableSettings(file, schema, table, ff, rules.getOrDefault(name, Map.of()));
    }

    /** The thresholds for {@code schema.table} that table_conf sets; null keys fall back to the connection's. */
    public Thresholds thresholdsFor(String schema, String table) {
        return thresholds.getOrDefault(tableLevel(schema, table), Thresholds.NONE)
                .over(thresholds.getOrDefault(schemaLevel(schema), Thresholds.NONE).over(thresholds.getOrDefault("", Thresholds.NONE)));
    }

    /** The engine table_conf sets for {@code schema.table} (the most specific level wins), or null for the connection's. */
    public ConnectionConfig.Engine engineFor(String schema, String table) {
        ConnectionConfig.Engine e = engines.get(tableLevel(schema, table));
        if (e == null) {
            e = engines.get(schemaLevel(schema));
        }
        return e != null ? e : engines.get("");
    }

    static String schemaLevel(String schema) {
        return "schema\u0000" + schema;
    }

    static String tableLevel(String schema, String table) {
        return "table\u0000" + schema + "\u0000" + table;
    }

    /** The schemas with a schema-level fillfactor, for checking that they exist. */
    public Map<String, Fillfactor> schemaFillfactors() {
        return schemas;
    }

    /** Every table the file names, with a fillfactor or with JSON rules, and the section naming it. */
    public Map<TableName, String> namedTables() {
        Map<TableName, String> named = new LinkedHashMap<>();
        tables.forEach((name, ff) -> named.put(name, ff.section()));
        rules.forEach((name, columns) -> columns.values().stream().findFirst()
                .ifPresent(rule -> named.putIfAbsent(name, rule.section())));
        return named;
    }

    /** The tables with JSON rules. */
    public Set<TableName> tablesWithRules() {
        return new LinkedHashSet<>(rules.keySet());
    }
}
