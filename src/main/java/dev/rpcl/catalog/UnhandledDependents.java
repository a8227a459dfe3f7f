package dev.rpcl.catalog;

import dev.rpcl.RpclException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The safety net: every object that depends on the table and that neither the engine nor a
 * carrier recreates (an object of an extension, ...) refuses the table before the copy, instead
 * of making the final DROP of the old table fail after the whole copy. So do a table that
 * belongs to an extension, carries a security label, or is read by a view that rpcl's user may
 * not replace (the engine re-points views with CREATE OR REPLACE).
 */
public final class UnhandledDependents implements Carrier {

    /** What pg_depend says depends on the table, minus what the engine and the carriers recreate. */
    private static final String DEPENDENTS = """
            WITH tbl AS (SELECT ?::oid AS oid, pg_catalog.to_regclass(?) AS copy)
            SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS object
              FROM tbl
              JOIN pg_catalog.pg_depend d
                ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = tbl.oid AND d.deptype IN ('n', 'a')
             WHERE NOT CASE d.classid
                   WHEN 'pg_catalog.pg_class'::regclass THEN
                        -- On 14 a generated column depends on the columns it reads: the table on itself.
                        d.objid = tbl.oid
                        -- Its inheritance children: Inheritance moves them under the new table.
                        OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = d.objid AND i.inhparent = tbl.oid)
                        OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = d.objid AND i.indrelid = tbl.oid)
                        OR (d.deptype = 'a' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class s WHERE s.oid = d.objid AND s.relkind = 'S'))
                   WHEN 'pg_catalog.pg_constraint'::regclass THEN
                        EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid
                                   AND (k.conrelid = tbl.oid OR (k.contype = 'f' AND k.confrelid = tbl.oid)))
                   WHEN 'pg_catalog.pg_attrdef'::regclass THEN
                        -- The copy's: a default naming the table itself (SelfReferences).
                        EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid AND a.adrelid IN (tbl.oid, tbl.copy))
                   WHEN 'pg_catalog.pg_trigger'::regclass THEN
                        EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.oid = d.objid
                                   AND (t.tgrelid = tbl.oid
                                        OR (t.tgisinternal AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                                                                        WHERE k.oid = t.tgconstraint AND k.contype = 'f'
                                                                          AND k.confrelid = tbl.oid))))
                   -- Rules: Rules and ViewCarrier; policies: RowSecurity; routines: Routines.
                   WHEN 'pg_catalog.pg_rewrite'::regclass THEN true
                   WHEN 'pg_catalog.pg_policy'::regclass THEN true
                   WHEN 'pg_catalog.pg_proc'::regclass THEN true
                   WHEN 'pg_catalog.pg_statistic_ext'::regclass THEN
                        EXISTS (SELECT 1 FROM pg_catalog.pg_statistic_ext s WHERE s.oid = d.objid AND s.stxrelid = tbl.oid)
                   WHEN 'pg_catalog.pg_publication_rel'::regclass THEN
                        EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel p WHERE p.oid = d.objid AND p.prrelid = tbl.oid)
                   ELSE false END
             ORDER BY 1
            """;

    private static final String TABLE_ITSELF = """
            SELECT 'it belongs to extension ' || e.extname AS reason
              FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
             WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = ? AND d.deptype = 'e'
            UNION ALL
            SELECT DISTINCT 'view ' || v.oid::regclass::text || ' reads it and is owned by role '
                   || pg_catalog.pg_get_userbyid(v.relowner) || ', and only its owner may point it at the new table (GRANT '
                   || pg_catalog.pg_get_userbyid(v.relowner) || ' TO the rpcl user)'
              FROM pg_catalog.pg_depend d
              JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid AND w.rulename = '_RETURN'
              JOIN pg_catalog.pg_class v ON v.oid = w.ev_class AND v.relkind = 'v'
             WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
               AND d.refobjid = ? AND NOT pg_catalog.pg_has_role(v.relowner, 'USAGE')
            UNION ALL
            SELECT 'index ' || quote_ident(ic.relname) || ' is invalid (a CREATE INDEX CONCURRENTLY in progress or failed), and'
                   || ' rpcl keeps the user''s indexes as they are: let it finish, or drop it or REINDEX INDEX CONCURRENTLY it'
              FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid = ? AND NOT i.indisvalid
            UNION ALL
            SELECT 'it has a security label of provider ' || l.provider
              FROM pg_catalog.pg_seclabel l
             WHERE l.classoid = 'pg_catalog.pg_class'::regclass AND l.objoid = ?
            """;

    @Override
    public List<String> blockers(Connection c, TableRef table) throws SQLException {
        List<String> out = new ArrayList<>();
        for (CatalogRows.Row r : CatalogRows.query(c, DEPENDENTS, table.oid(), table.copyQualified())) {
            out.add(r.str("object") + " depends on table " + table.display()
                    + ", and rpcl cannot recreate it for the new table (drop it, or make it not depend on the table, for the repack)");
        }
        for (CatalogRows.Row r : CatalogRows.query(c, TABLE_ITSELF, table.oid(), table.oid(), table.oid(), table.oid())) {
            out.add("table " + table.display() + " cannot be swapped: " + r.str("reason"));
        }
        return out;
    }

    /**
     * The same check again, inside the swap: an object made since the check before the copy
     * would otherwise meet the final DROP of the old table, which refuses only some of them
     * (a constraint trigger of another table FROM this one depends on it automatically, and the
     * DROP would take it along without a word).
     */
    @Override
    public Carried capture(Connection c, TableRef table) throws SQLException {
        List<String> found = blockers(c, table);
        if (!found.isEmpty()) {
            throw RpclException.failed("Table " + table.display() + " was not swapped: " + String.join("; ", found)
                    + ". The repack was abandoned and cleaned up; the table is as it was.");
        }
        return Carried.NONE;
    }
}
