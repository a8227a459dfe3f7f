package dev.rpcl.engine;

import dev.rpcl.catalog.Carrier;
import dev.rpcl.config.ConfigLoader;
import dev.rpcl.config.RpclHome;
import dev.rpcl.db.Database;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A bug in a carrier, thrown inside the swap after everything else was done for it (the last
 * carrier): what rpcl leaves behind when a swap fails where nothing foresaw it.
 */
final class FailingCarrier {
    private FailingCarrier() {
    }

    /** Runs repack_tables of the configuration "default", connection "main", in {@code home}, with the failing carrier; its first table's result. */
    static TableResult repackFirstTable(Path home) throws java.sql.SQLException {
        var cfg = new ConfigLoader(new RpclHome(home).initialise()).load("default").select("main").get(0);
        Carrier failing = (c, table) -> {
            throw new IllegalStateException("a bug in a carrier");
        };
        RepackOptions defaults = RepackOptions.defaults();
        List<Carrier> carriers = new ArrayList<>(defaults.carriers());
        carriers.add(failing);
        try (Database database = new Database(cfg, RepackEngine.POOL_SIZE)) {
            RepackEngine engine = new RepackEngine(database, new RepackOptions(defaults.customizer(), carriers,
                    defaults.maxSwapAttempts(), defaults.maxCatchUpRounds()), () -> false);
            return engine.repackTables().tables().get(0);
        }
    }
}
