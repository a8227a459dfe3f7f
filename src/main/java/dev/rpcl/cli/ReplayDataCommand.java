package dev.rpcl.cli;

import dev.rpcl.config.ConnectionConfig;
import dev.rpcl.daemon.PidFile;
import dev.rpcl.daemon.ReplayDaemon;
import dev.rpcl.db.Database;
import dev.rpcl.engine.RepackEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import picocli.CommandLine.Command;

@Command(name = "replay_data", description = "Keep replaying the prepared tables' changes until repack_tables swaps them.")
final class ReplayDataCommand extends RpclCommand {
    /** How long the daemon sleeps after a round that found nothing to replay. */
    static final Duration IDLE = Duration.ofSeconds(1);

    @Override
    public Integer call() {
        OptionalInt launched = BackgroundMode.detach(this, PidFile.Kind.REPLAY,
                "Replay data for the prepared tables started.");
        return launched.isPresent() ? launched.getAsInt() : replayHere(this);
    }

    /** Replays in this process until stopped (stop_replay, repack_tables, abort_repack, a signal). */
    static int replayHere(RpclCommand cmd) {
        return BackgroundMode.runHere(cmd, PidFile.Kind.REPLAY, stop -> {
            List<Database> dbs = new ArrayList<>();
            try {
                List<ReplayDaemon.Source> sources = new ArrayList<>();
                for (ConnectionConfig c : cmd.connections()) {
                    Database db = new Database(c, RepackEngine.POOL_SIZE);
                    dbs.add(db);
                    RepackEngine engine = new RepackEngine(db, EngineRun.options(cmd, c), stop);
                    sources.add(new ReplayDaemon.Source(c.name(), engine::replayPrepared));
                }
                ReplayDaemon.Summary s = new ReplayDaemon(sources, stop, IDLE).run();
                cmd.out().println("replay_data stopped: " + s.rowsReplayed() + " log rows replayed in " + s.rounds()
                        + " rounds" + (s.errors() > 0 ? ", " + s.errors() + " errors (see the log)" : "") + ".");
                return ExitCode.OK;
            } finally {
                dbs.forEach(Database::close);
            }
        });
    }
}
