package dev.rpcl.cli;

import dev.rpcl.RpclException;
import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.db.Database;
import dev.rpcl.engine.Control;
import dev.rpcl.engine.HelperSchema;
import java.sql.Connection;
import java.sql.SQLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * pause, resume, postpone_swap, release_swap: requests in the database that a run, started from
 * any machine and any configuration, honours at its next safe point.
 */
final class ControlCommands {
    private ControlCommands() {
    }

    /** The options every control command takes. */
    abstract static class ControlCommand extends RpclCommand {
        @Option(names = "--table", paramLabel = "SCHEMA.TABLE", description = "Only this table (default: every table of the database).")
        String table;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the log and status.")
        String reason;

        int apply(String action, boolean request, String done, String already) {
            if (table != null && (table.indexOf('.') <= 0 || table.endsWith("."))) {
                throw RpclException.badInput("Bad value '" + table + "' for --table: write schema.table, e.g. public.orders.");
            }
            String what = table == null ? "every table" : table;
            for (ConnectionConfig c : connections()) {
                try (Database db = new Database(c, 1); Connection conn = db.connect()) {
                    HelperSchema.requirePresent(conn, db);
                    boolean changed = request ? Control.request(conn, action, table, reason) : Control.withdraw(conn, action, table);
                    out().println(c.name() + ": " + (changed ? done : already).formatted(what));
                } catch (SQLException e) {
                    throw RpclException.failed("Cannot record the request in database " + c.database() + " (connection " + c.name()
                            + "): " + Database.rootMessage(e), e);
                }
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "pause", description = "Pause the runs on a table (or all) at their next safe point, until resume.")
    static final class Pause extends ControlCommand {
        @Override
        public Integer call() {
            return apply(Control.PAUSE, true, "pause requested for %s; a run waits at its next safe point until rpcl resume.",
                    "a pause was already requested for %s.");
        }
    }

    @Command(name = "resume", description = "Withdraw a pause.")
    static final class Resume extends ControlCommand {
        @Override
        public Integer call() {
            return apply(Control.PAUSE, false, "pause of %s withdrawn; the runs go on.", "no pause was requested for %s.");
        }
    }

    @Command(name = "postpone_swap", description = "Keep the runs on a table (or all) replaying, without swapping, until release_swap.")
    static final class PostponeSwap extends ControlCommand {
        @Override
        public Integer call() {
            return apply(Control.POSTPONE_SWAP, true, "swap of %s postponed; a run catches up and waits until rpcl release_swap.",
                    "the swap of %s was already postponed.");
        }
    }

    @Command(name = "release_swap", description = "Let postponed swaps go.")
    static final class ReleaseSwap extends ControlCommand {
        @Override
        public Integer call() {
            return apply(Control.POSTPONE_SWAP, false, "swap of %s released.", "the swap of %s was not postponed.");
        }
    }
}
