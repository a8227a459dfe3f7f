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
     * Reads the definitions and returns the statements that recreate them. The swap calls it
     * ahead of its lock and, under the lock, only checks that every query it ran returns the
     * same rows (or calls it again if not), so it must be a function of what it reads through
     * {@code c}: catalog definitions, never data that moves while the table is locked (a
     * sequence's value is copied by a statement it returns, not read), nor the clock. It may run
     * statements without a result (SET LOCAL); they are run again by the check.
     */
    Carried capture(Connection c, TableRef table) throws SQLException;

    /**
     * Statements that give the copy, still in sch_repnew, what {@link #capture} would otherwise
     * set inside the swap, so that the swap finds (almost) nothing left to do and holds its lock
     * for less. Run just before each swap attempt in a transaction of their own, without the
     * original locked: they may only touch the copy, must be safe to run again, and their effect
     * must not matter to the replay. A carrier whose capture compares the original with the copy
     * still catches, inside the swap, whatever the user changed in between. Default: nothing.
     */
    default List<String> prepare(Connection c, TableRef table) throws SQLException {
        return List.of();
    }
}
