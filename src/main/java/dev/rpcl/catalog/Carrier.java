package dev.rpcl.catalog;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * One kind of object that points at a table's OID and must survive the swap (grants, triggers,
 * policies, views, foreign keys, ...). Each kind is one class; {@link Carriers} lists them.
 */
public interface Carrier {

    /**
     * What this carrier cannot carry over for the table. Checked before any copy is made; a
     * non-empty answer skips the table, and each message names the object (e.g.
     * "function public.f() returns the table's row type").
     */
    default List<String> blockers(Connection c, TableRef table) throws SQLException {
        return List.of();
    }

    /**
     * Reads the definitions and returns the statements that recreate them. Called inside the
     * swap transaction, with the original locked, so what it reads is exactly what exists.
     */
    Carried capture(Connection c, TableRef table) throws SQLException;
}
