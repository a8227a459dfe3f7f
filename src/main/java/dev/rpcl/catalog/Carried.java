package dev.rpcl.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * Statements that rebuild, on the swapped-in table, objects that pointed at the old table's OID.
 * The swap runs, in one transaction, with the original locked ACCESS EXCLUSIVE and the replay
 * finished: every {@code beforeMove} of every carrier; then the old table goes to sch_repdrop and
 * the copy takes its schema and name; then every {@code afterMove} (which can therefore name the
 * table by its original name); then the old table is dropped WITHOUT CASCADE; commit; then every
 * {@code afterCommit} (VALIDATE CONSTRAINT of the foreign keys), which must be safe to
 * run again after a crash.
 */
public record Carried(List<String> beforeMove, List<String> afterMove, List<String> afterCommit) {

    public static final Carried NONE = new Carried(List.of(), List.of(), List.of());

    public Carried {
        beforeMove = List.copyOf(beforeMove);
        afterMove = List.copyOf(afterMove);
        afterCommit = List.copyOf(afterCommit);
    }

    /** All carriers' statements in carrier order, stage by stage. */
    public static Carried concat(List<Carried> parts) {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        List<String> commit = new ArrayList<>();
        for (Carried c : parts) {
            before.addAll(c.beforeMove);
            after.addAll(c.afterMove);
            commit.addAll(c.afterCommit);
        }
        return new Carried(before, after, commit);
    }
}
