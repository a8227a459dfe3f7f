package dev.rpcl.engine;

import dev.rpcl.config.ConnectionConfig.Engine;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which engine rewrites a table, and why: rpcl's own (triggers, copy, replay, swap by rename),
 * or the server's REPACK (CONCURRENTLY) of PostgreSQL 19 and later, which keeps the table's OID
 * and everything that points at it, writes no trigger on the application's path, and rewrites
 * in C. {@code auto} takes REPACK wherever it can do the whole job; rpcl's engine does what
 * REPACK cannot: JSON cleanups, prepare_repack's staging, and the tables REPACK refuses.
 */
record EngineChoice(Kind kind, String reason) {

    /** The outcome for one table. */
    enum Kind {
        RPCL, REPACK,
        /** engine = repack was asked for and REPACK cannot do it: the table is skipped, {@code reason} says why. */
        SKIP
    }

    static final int REPACK_MAJOR = 19;

    /** What REPACK (CONCURRENTLY) requires of the table itself (repack.c, check_concurrent_repack_requirements). */
    record TableFacts(boolean permanent, String accessMethod, String replicaIdentity, boolean identityIndex,
                      boolean deferrablePrimaryKey) {
    }

    /** The situation of one table: everything the choice depends on. */
    record Situation(Engine configured, boolean fromTableConf, int serverMajor, String walLevel, boolean staging,
                     boolean rpclWorkInFlight, boolean rewritesValues, TableFacts table) {
    }

    private static final String FACTS = """
            SELECT c.relpersistence = 'p' AS permanent, coalesce(am.amname, '') AS am, c.relreplident::text AS replident,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                            WHERE i.indrelid = c.oid AND i.indisvalid AND i.indisready AND i.indislive
                              AND CASE c.relreplident WHEN 'i' THEN i.indisreplident
                                                      ELSE i.indisprimary AND i.indimmediate END) AS identity_index,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                            WHERE i.indrelid = c.oid AND i.indisprimary AND NOT i.indimmediate) AS deferrable_pk
              FROM pg_catalog.pg_class c
              LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
             WHERE c.oid = ?
            """;

    static TableFacts facts(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FACTS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    // Dropped since it was listed: the engine that runs next reports it.
                    return new TableFacts(true, "heap", "d", false, false);
                }
                return new TableFacts(rs.getBoolean("permanent"), rs.getString("am"), rs.getString("replident"),
                        rs.getBoolean("identity_index"), rs.getBoolean("deferrable_pk"));
            }
        }
    }

    static EngineChoice choose(Situation s) {
        String setting = "engine = " + s.configured().configValue() + (s.fromTableConf() ? " (table_conf)" : "");
        if (s.rpclWorkInFlight()) {
            // Its triggers log every write until the work is finished or aborted: rpcl's engine finishes it.
            return new EngineChoice(Kind.RPCL, "an earlier run left it prepared or part way with rpcl's engine, which"
                    + " finishes it");
        }
        if (s.configured() == Engine.RPCL) {
            return new EngineChoice(Kind.RPCL, setting);
        }
        List<String> obstacles = obstacles(s);
        if (obstacles.isEmpty()) {
            return new EngineChoice(Kind.REPACK, s.configured() == Engine.REPACK ? setting
                    : "REPACK (CONCURRENTLY) can do the whole job; the table keeps its OID");
        }
        if (s.configured() == Engine.REPACK) {
            return new EngineChoice(Kind.SKIP, setting + ", but " + obstacles.get(0) + "; set engine = \"auto\" or \"rpcl\""
                    + " for it to be repacked by rpcl's engine");
        }
        return new EngineChoice(Kind.RPCL, obstacles.get(0));
    }

    /** Why REPACK (CONCURRENTLY) cannot do this table's whole job, most fundamental first. */
    private static List<String> obstacles(Situation s) {
        List<String> out = new ArrayList<>();
        TableFacts t = s.table();
        if (s.serverMajor() < REPACK_MAJOR) {
            out.add("the server runs PostgreSQL " + s.serverMajor() + " and REPACK (CONCURRENTLY) needs " + REPACK_MAJOR);
        }
        if ("minimal".equals(s.walLevel())) {
            out.add("REPACK (CONCURRENTLY) needs wal_level replica or logical, and the server has minimal");
        }
        if (s.staging()) {
            out.add("prepare_repack stages the table for a later swap, which only rpcl's engine does");
        }
        if (s.rewritesValues()) {
            out.add("table_conf cleans its JSON columns, and REPACK copies rows as they are");
        }
        if (!t.permanent()) {
            out.add("REPACK (CONCURRENTLY) takes only permanent (logged) tables");
        }
        if (!"heap".equals(t.accessMethod())) {
            out.add("REPACK (CONCURRENTLY) takes only tables of the heap access method, not " + t.accessMethod());
        }
        if ("f".equals(t.replicaIdentity()) || "n".equals(t.replicaIdentity())) {
            out.add("REPACK (CONCURRENTLY) does not take tables with REPLICA IDENTITY "
                    + ("f".equals(t.replicaIdentity()) ? "FULL" : "NOTHING"));
        } else if (!t.identityIndex()) {
            out.add(t.deferrablePrimaryKey() ? "REPACK (CONCURRENTLY) does not take a DEFERRABLE primary key as the row identity"
                    : "REPACK (CONCURRENTLY) needs a primary key or a replica identity index");
        }
        return out;
    }
}
