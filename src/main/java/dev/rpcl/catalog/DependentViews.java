package dev.rpcl.catalog;

/**
 * The views and materialized views that depend on a table, directly or through other views:
 * the engine recreates them at the swap, and the carriers that restore what hangs on a view
 * (grants, comments, options, INSTEAD OF triggers, rules) find them with this query prefix.
 */
final class DependentViews {
    private DependentViews() {
    }

    /**
     * A {@code WITH RECURSIVE} prefix defining {@code views(oid)}; its one parameter, bound
     * first, is the table's OID. Queries that start with it continue with {@code SELECT}.
     */
    static final String WITH_VIEWS = """
            WITH RECURSIVE tbl AS (SELECT ?::oid AS oid),
            found(oid) AS (
                SELECT r.ev_class
                  FROM tbl
                  JOIN pg_catalog.pg_depend d
                    ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = tbl.oid
                   AND d.classid = 'pg_catalog.pg_rewrite'::regclass
                  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> tbl.oid
                UNION
                SELECT r.ev_class
                  FROM found f
                  JOIN pg_catalog.pg_depend d
                    ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = f.oid
                   AND d.classid = 'pg_catalog.pg_rewrite'::regclass
                  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> f.oid
            ),
            views AS (SELECT DISTINCT oid FROM found)
            """;
}
