package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A table in a (non-partition) inheritance tree. pg_dump, and PostgreSQL when a parent later
 * gains or drops a column, tell a child's own columns and constraints from those it inherits
 * (attislocal, conislocal): a plain NO INHERIT turns inherited ones into the child's own, and a
 * copy created on its own has only its own. So:
 *
 * <ul>
 *   <li>the copy of a child is created as the child of a stand-in parent in sch_repnew
 *       ({@link TableRef#copyParentsQualified()}) that holds the original's inherited columns and
 *       constraints, so that the copy has them as inherited (CopyPhase builds both). Inside the swap
 *       the copy INHERITs the real parents, in the original's order, then leaves the stand-in: each
 *       inherited column and constraint counts its parents 1, then 1 + k, then k, and stays inherited
 *       (it would become the child's own only at 0);</li>
 *   <li>the children of a parent INHERIT its copy, then leave the original, inside the swap, before
 *       the original moves: the same counting keeps what they inherit inherited. They are locked
 *       ACCESS EXCLUSIVE by the swap (ALTER TABLE INHERIT takes it), after the parent, as queries
 *       on the parent lock them.</li>
 * </ul>
 *
 * A child that inherits from another table after this one would list its parents in another order
 * (pg_inherits.inhseqno, which pg_dump follows), and is refused, as are children rpcl cannot alter.
 */
public final class Inheritance implements Carrier {

    private static final String PARENTS = """
            SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.relname) AS parent
              FROM pg_catalog.pg_inherits i
              JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
              JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
              JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
             WHERE i.inhrelid = ? AND NOT c.relispartition
             ORDER BY i.inhseqno
            """;

    private static final String CHILDREN = """
            SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(ch.relname) AS child,
                   ch.relkind = 'r' AS plain, pg_catalog.pg_has_role(ch.relowner, 'USAGE') AS owned,
                   pg_catalog.pg_get_userbyid(ch.relowner) AS owner,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_inherits later
                            WHERE later.inhrelid = i.inhrelid AND later.inhseqno > i.inhseqno) AS not_last
              FROM pg_catalog.pg_inherits i
              JOIN pg_catalog.pg_class ch ON ch.oid = i.inhrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = ch.relnamespace
             WHERE i.inhparent = ? AND NOT ch.relispartition
             ORDER BY ch.oid
            """;

    /** Generated columns of a child: the stand-in parent cannot give them to the copy. */
    private static final String GENERATED = """
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) AS columns
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''
            HAVING count(*) > 0
            """;

    /** The parents of a table that is an inheritance child, quoted, in its INHERITS order; empty otherwise. */
    public static List<String> parents(Connection c, long oid) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, PARENTS, oid)) {
            out.add(r.str("parent"));
        }
        return out;
    }

    /** The tables that inherit from this one, quoted: the swap locks them with it. */
    public static List<String> children(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, CHILDREN, table.oid())) {
            out.add(r.str("child"));
        }
        return out;
    }

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, CHILDREN, table.oid())) {
            String child = "table " + r.str("child") + " inherits from " + table.display();
            if (!r.bool("plain")) {
                out.add(child + " and is not a plain table, which rpcl cannot move under the new table");
            } else if (!r.bool("owned")) {
                out.add(child + " and belongs to role " + r.str("owner") + ", which the rpcl user is not a member of (only"
                        + " its owner can move it under the new table: GRANT " + r.str("owner") + " TO the rpcl user)");
            } else if (r.bool("not_last")) {
                out.add(child + " and from other tables after it: moving it under the new table would change the order"
                        + " of its parents (its INHERITS list, and pg_dump's)");
            }
        }
        if (!parents(c, table.oid()).isEmpty()) {
            for (CatalogRows.Row r : CatalogRows.query(c, GENERATED, table.oid())) {
                out.add("table " + table.display() + " inherits from another table and has generated columns ("
                        + r.str("columns") + "), which rpcl cannot build on the copy of an inheritance child");
            }
        }
        return out;
    }

    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        List<String> parents = parents(c, table.oid());
        if (!parents.isEmpty()) {
            for (String parent : parents) {
                before.add("ALTER TABLE " + table.copyQualified() + " INHERIT " + parent);
            }
            before.add("ALTER TABLE " + table.copyQualified() + " NO INHERIT " + table.copyParentsQualified());
            after.add("DROP TABLE " + table.copyParentsQualified());
        }
        for (String child : children(c, table)) {
            before.add("ALTER TABLE " + child + " INHERIT " + table.copyQualified());
            before.add("ALTER TABLE " + child + " NO INHERIT " + table.qualified());
        }
        return new Carried(before, after, List.of());
    }
}
