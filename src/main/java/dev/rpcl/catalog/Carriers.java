package dev.rpcl.catalog;

import java.util.List;

/** Every carrier, in the order their statements run within each stage of the swap. */
public final class Carriers {
    private Carriers() {
    }

    public static List<Carrier> all() {
        return List.of(
                new RowTypeCarrier(),
                new SequenceCarrier(),
                new ForeignKeyCarrier(),
                new ViewCarrier(),
                new UserTriggerCarrier()
        );
    }
}
