package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Statistics targets set on expression columns of the table's indexes (ALTER INDEX ... ALTER
 * COLUMN n SET STATISTICS), which CREATE INDEX cannot express: the engine rebuilds the indexes
 * under the same names, and the targets are set again on them after the move.
 */
public final class IndexStatisticsTargets implements Carrier {

    private static final String TARGETS = """
            SELECT ic.relname::text AS index_name, a.attnum, a.attstattarget AS target,
                   (SELECT coalesce(na.attstattarget, -1) -- NULL: the default, since 17
                      FROM pg_catalog.pg_index ni
                      JOIN pg_catalog.pg_class nic ON nic.oid = ni.indexrelid AND nic.relname = ic.relname
                      JOIN pg_catalog.pg_attribute na ON na.attrelid = nic.oid AND na.attnum = a.attnum
                     WHERE ni.indrelid = pg_catalog.to_regclass(?)) AS copy_target
              FROM pg_catalog.pg_index i
              JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
              JOIN pg_catalog.pg_attribute a ON a.attrelid = ic.oid AND a.attnum > 0
             WHERE i.indrelid = ? AND a.attstattarget >= 0
             ORDER BY ic.relname, a.attnum
            """;

    /** The copy's indexes have the original's names already: their targets can be set ahead. */
    @Override
    public List<String> prepare(Connection c, TableRef table) throws SQLException {
        return statements(c, table.asCopy(), true);
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        return new Carried(List.of(), statements(c, table, false), List.of());
    }

    /** Ahead of the swap, only indexes the copy has (an invalid index of the original is not rebuilt). */
    private static List<String> statements(Connection c, TableRef table, boolean existingOnly) throws SQLException {
        List<String> after = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, TARGETS, table.copyQualified(), table.oid())) {
            Long copyTarget = r.numOrNull("copy_target");
            if (copyTarget == null ? !existingOnly : copyTarget != r.num("target")) {
                after.add("ALTER INDEX " + Sql.qualified(table.schema(), r.str("index_name")) + " ALTER COLUMN " + r.num("attnum")
                        + " SET STATISTICS " + r.num("target"));
            }
        }
        return after;
    }
}
