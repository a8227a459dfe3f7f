package dev.rpcl.catalog;

import java.util.List;

/** Every carrier, in the order their statements run within each stage of the swap. */
public final class Carriers {
    private Carriers() {
    }

    public static List<Carrier> all() {
        return List.of(
                // Refuse, before any copy, tables with objects that nothing here recreates.
                new UnhandledDependents(),
                // Before the others: moves the copy under the original's parents, and the
                // original's children under the copy.
                new Inheritance(),
                new RowTypeCarrier(),
                new Routines(),
                // The owner first (the engine also sets it right after the move): ALTER SEQUENCE
                // ... OWNED BY needs the table to have the sequence's owner, and later GRANTs are
                // recorded with the owner as grantor.
                new Privileges(),
                new SequenceCarrier(),
                // After SequenceCarrier, which creates the identity sequences again.
                new IdentitySequences(),
                new ForeignKeyCarrier(),
                new ViewCarrier(),
                new StorageOptions(),
                new SelfReferences(),
                new IndexStatisticsTargets(),
                // After ForeignKeyCarrier: comments on the foreign keys it adds again.
                new Comments(),
                new ExtendedStatistics(),
                // Triggers cloned from a partitioned parent are left out: the engine's ATTACH
                // PARTITION clones them again.
                new Triggers(),
                new Rules(),
                new RowSecurity(),
                new Publications(),
                // After ViewCarrier, which recreates the materialized views first.
                new MaterializedViewAttributes()
        );
    }
}
