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
                new RowTypeUsers(),
                // The owner first: later GRANTs are then recorded with the owner as grantor.
                new Privileges(),
                new StorageOptions(),
                new Comments(),
                new ExtendedStatistics(),
                new Triggers(),
                new Rules(),
                new RowSecurity(),
                new Publications(),
                new PartitionAttach(),
                // After the engine's view carrier, which recreates the views first.
                new MaterializedViewAttributes()
        );
    }
}
