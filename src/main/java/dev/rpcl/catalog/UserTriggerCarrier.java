package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The table's own triggers (not rpcl's z_repcloud_ ones, not the internal ones of foreign keys),
 * with their enabled state. They are created on the new table inside the swap, so they never
 * fire for the rows rpcl copies or replays.
 */
public final class UserTriggerCarrier implements Carrier {

    private static final String TRIGGERS = """
            SELECT t.tgname, pg_catalog.pg_get_triggerdef(t.oid) AS def, t.tgenabled
              FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = ? AND NOT t.tgisinternal AND t.tgname NOT LIKE 'z\\_repcloud\\_%'
             ORDER BY t.tgname
            """;

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> after = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TRIGGERS)) {
            ps.setLong(1, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    after.add(rs.getString("def"));
                    String state = switch (rs.getString("tgenabled")) {
                        case "D" -> "DISABLE TRIGGER ";
                        case "R" -> "ENABLE REPLICA TRIGGER ";
                        case "A" -> "ENABLE ALWAYS TRIGGER ";
                        default -> null;
                    };
                    if (state != null) {
                        after.add("ALTER TABLE " + table.qualified() + " " + state + Sql.ident(rs.getString("tgname")));
                    }
                }
            }
        }
        return new Carried(List.of(), after, List.of());
    }
}
