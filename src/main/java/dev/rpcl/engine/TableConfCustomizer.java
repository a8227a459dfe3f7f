package dev.rpcl.engine;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.catalog.TableRef;
import dev.rpcl.config.TableConf;
import dev.rpcl.config.TableConfCheck;
import dev.rpcl.config.TableSettings;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection's table_conf as the engine's customizer: the configured fillfactor on the copy,
 * and the JSON cleanup in the select list that both the copy and every replay read through.
 */
public final class TableConfCustomizer implements TableCustomizer {
    private static final Logger LOG = LoggerFactory.getLogger(TableConfCustomizer.class);

    private final TableConf conf;

    public TableConfCustomizer(TableConf conf) {
        this.conf = conf;
    }

    @Override
    public Map<String, String> storageOptions(TableRef table, Map<String, String> original) {
        TableSettings settings = conf.settingsFor(table.schema(), table.name());
        if (!settings.isDefault()) {
            LOG.info("Table {}: {} (from {})", table.display(), settings.describe(), conf.file());
        }
        return settings.storageOptions(original);
    }

    @Override
    public String selectExpression(TableRef table, String column, String quotedColumn, String type) {
        return conf.settingsFor(table.schema(), table.name()).cleanupExpression(column, type, quotedColumn);
    }

    @Override
    public TableConf.Thresholds thresholds(TableRef table) {
        return conf.thresholdsFor(table.schema(), table.name());
    }

    @Override
    public dev.rpcl.config.ConnectionConfig.Engine engine(TableRef table) {
        return conf.engineFor(table.schema(), table.name());
    }

    @Override
    public boolean rewritesValues(TableRef table) {
        return conf.tablesWithRules().contains(new TableConf.TableName(table.schema(), table.name()));
    }

    @Override
    public void check(Connection c, List<Candidate> tables) {
        TableConfCheck check = TableConfCheck.run(c, conf,
                tables.stream().map(t -> new TableConf.TableName(t.schema(), t.name())).toList());
        check.warnings().forEach(LOG::warn);
        check.throwIfErrors();
    }
}
