package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Foreign keys in both directions. Outgoing ones go with the old table and are added to the new
 * one; incoming ones (on other tables) are dropped before the move and added again after it,
 * pointing at the new table. Both are added NOT VALID, which takes no scan under the lock, and
 * validated after the swaps when the original was validated. (PostgreSQL cannot add a NOT VALID
 * foreign key to a partitioned table: such a key is added validated, which scans it.)
 */
public final class ForeignKeyCarrier implements Carrier {
    private static final Logger LOG = LoggerFactory.getLogger(ForeignKeyCarrier.class);

    private static final String FKS = """
            SELECT con.conname, pg_catalog.pg_get_constraintdef(con.oid) AS def, con.convalidated,
                   n.nspname, c.relname, c.relkind = 'p' AS partitioned, con.conrelid = ? AS outgoing
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.conparentid = 0 AND (con.conrelid = ? OR con.confrelid = ?)
             ORDER BY outgoing DESC, n.nspname, c.relname, con.conname
            """;

    /** Tables whose foreign keys reference the table (first) and tables it references (second). */
    private static final String RELATED = """
            SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(c.relname), con.confrelid = ? AS referencing
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = CASE WHEN con.confrelid = ? THEN con.conrelid ELSE con.confrelid END
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.conparentid = 0 AND (con.conrelid = ? OR con.confrelid = ?) AND c.oid <> ?
             ORDER BY 1
            """;

    /**
     * The other tables the swap will alter, as quoted names: {@code referencing} tables get a
     * constraint dropped and added (ACCESS EXCLUSIVE), {@code referenced} ones are read by the new
     * foreign keys (SHARE ROW EXCLUSIVE). The swap locks them up front, without waiting.
     */
    public record Related(List<String> referencing, List<String> referenced) {
    }

    public static Related related(Connection c, TableRef table) throws SQLException {
        List<String> referencing = new ArrayList<>();
        List<String> referenced = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(RELATED)) {
            for (int i = 1; i <= 5; i++) {
                ps.setLong(i, table.oid());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (rs.getBoolean(2) ? referencing : referenced).add(rs.getString(1));
                }
            }
        }
        referenced.removeAll(referencing);
        return new Related(referencing, referenced);
    }

    /** Incoming keys on tables whose owner rpcl's user cannot act as: it could not drop and add them at the swap. */
    private static final String FOREIGN_OWNED = """
            SELECT con.conname, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE con.contype = 'f' AND con.conparentid = 0 AND con.confrelid = ? AND con.conrelid <> ?
               AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')
             ORDER BY n.nspname, c.relname, con.conname
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, FOREIGN_OWNED, table.oid(), table.oid())) {
            out.add("foreign key " + r.str("conname") + " of table " + r.str("nspname") + "." + r.str("relname")
                    + " references table " + table.display() + ", and only that table's owner " + r.str("owner")
                    + " may point it at the new table (GRANT " + r.str("owner") + " TO the rpcl user)");
        }
        return out;
    }

    /** A foreign key's definition (pg_get_constraintdef) without its NOT VALID: the caller says how it is added. */
    static String withoutNotValid(String definition) {
        return definition.endsWith(" NOT VALID") ? definition.substring(0, definition.length() - " NOT VALID".length()) : definition;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        List<String> commit = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(FKS)) {
            ps.setLong(1, table.oid());
            ps.setLong(2, table.oid());
            ps.setLong(3, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean outgoing = rs.getBoolean("outgoing");
                    // An outgoing key's table is the original, which has the copy's name after the move.
                    String owner = outgoing ? table.qualified() : Sql.qualified(rs.getString("nspname"), rs.getString("relname"));
                    String name = Sql.ident(rs.getString("conname"));
                    String def = withoutNotValid(rs.getString("def"));
                    boolean validated = rs.getBoolean("convalidated");
                    boolean partitioned = rs.getBoolean("partitioned");
                    if (!outgoing) {
                        before.add("ALTER TABLE " + owner + " DROP CONSTRAINT " + name);
                    }
                    if (partitioned && validated) {
                        LOG.info("{}: foreign key {} on partitioned table {} is added validated inside the swap (PostgreSQL"
                                + " cannot add it NOT VALID), which scans that table under the lock", table.display(), name, owner);
                        after.add("ALTER TABLE " + owner + " ADD CONSTRAINT " + name + " " + def);
                    } else {
                        after.add("ALTER TABLE " + owner + " ADD CONSTRAINT " + name + " " + def + " NOT VALID");
                        if (validated) {
                            commit.add("ALTER TABLE " + owner + " VALIDATE CONSTRAINT " + name);
                        }
                    }
                }
            }
        }
        return new Carried(before, after, commit);
    }
}
