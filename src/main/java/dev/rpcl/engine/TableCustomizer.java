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

    /** min_gain and min_gain_ratio for this table where table_conf sets them; null keys mean the connection's. */
    default dev.rpcl.config.TableConf.Thresholds thresholds(TableRef table) {
        return dev.rpcl.config.TableConf.Thresholds.NONE;
    }

    /** The engine table_conf sets for this table, or null for the connection's. */
    default dev.rpcl.config.ConnectionConfig.Engine engine(TableRef table) {
        return null;
    }

    /**
     * Whether the copy reads a column through an expression other than the column itself (a
     * JSON cleanup): only rpcl's engine can apply it, REPACK copies rows as they are.
     */
    default boolean rewritesValues(TableRef table) {
        return false;
    }

    /**
     * Called once with the tables about to be repacked, before any of them is touched: throws
     * a bad-input RpclException when the customization cannot apply to one of them.
     */
    default void check(Connection c, List<Candidate> tables) {
    }
}
