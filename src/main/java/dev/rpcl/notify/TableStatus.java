package dev.rpcl.notify;

import dev.rpcl.db.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables a notification lists, read from sch_repcloud.t_table_repack: every table not yet
 * complete (prepared, in progress, failed) and those completed since the run started.
 */
public final class TableStatus {
    private static final Logger LOG = LoggerFactory.getLogger(TableStatus.class);

    private static final String SELECT = """
            SELECT v_schema_name || '.' || v_old_table_name, en_repack_step::text, v_status, t_message
              FROM sch_repcloud.t_table_repack
             WHERE v_status <> 'complete' OR coalesce(ts_repack_end, ts_repack_start) >= ?
             ORDER BY v_schema_name, v_old_table_name
            """;

    private TableStatus() {
    }

    /** The lines for one connection; on a database error, none, and the error is logged. */
    public static List<Report.TableLine> read(Database db, Instant runStart) {
        List<Report.TableLine> lines = new ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(SELECT)) {
            ps.setTimestamp(1, Timestamp.from(runStart));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(new Report.TableLine(db.config().name(), rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getString(4)));
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Cannot read the table states for the notification (connection {}): {}", db.config().name(),
                    Database.rootMessage(e));
        }
        return lines;
    }
}
