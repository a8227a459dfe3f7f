package dev.rpcl.engine;

import dev.rpcl.catalog.Candidate;
import dev.rpcl.catalog.TableRef;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

/**
 * What per-table configuration (table_conf) may change in a copy: its storage options and the
 * expression that reads each column from the original. The same expressions serve the copy and
 * every replay, so a cleanup applies to replayed rows too. The default changes nothing.
 */
public interface TableCustomizer {

    TableCustomizer NONE = new TableCustomizer() {
    };

    /**
     * The copy's storage options ({@code fillfactor} ...), given the original's as
     * name -> value; the result is applied with CREATE TABLE ... WITH.
     */
    default Map<String, String> storageOptions(TableRef table, Map<String, String> original) {
        return original;
    }

    /**
     * The SELECT expression for one column of the original, read through the alias {@code o}.
     * {@code quotedColumn} is {@code o."name"}; {@code type} is format_type's spelling.
     */
    default String selectExpression(TableRef table, String column, String quotedColumn, String type) {
        return quotedColumn;
    }

    /**
     * Called once with the tables about to be repacked, before any of them is touched: throws
     * a bad-input RpclException when the customization cannot apply to one of them.
     */
    /** min_gain and min_gain_ratio for this table where table_conf sets them; null keys mean the connection's. */
    default dev.rpcl.config.TableConf.Thresholds thresholds(TableRef table) {
        return dev.rpcl.config.TableConf.Thresholds.NONE;
    }

    default void check(Connection c, List<Candidate> tables) {
    }
}
