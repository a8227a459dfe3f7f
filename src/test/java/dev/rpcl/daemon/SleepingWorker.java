package dev.rpcl.daemon;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in for an rpcl process, started by the tests as a real separate JVM: it owns its pid
 * file through {@link RunningProcess}, works until asked to stop, takes a moment to reach its
 * "safe point", and records that it got there. With "fail" it reports an error the way the rpcl
 * command line does and exits 1 before claiming anything.
 */
public final class SleepingWorker {
    private SleepingWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path pidDir = Path.of(args[0]);
        PidFile.Kind kind = PidFile.Kind.valueOf(args[1]);
        String config = args[2];
        if (args.length > 3 && args[3].equals("fail")) {
            System.err.println("rpcl: error: the worker was told to fail");
            System.exit(1);
        }
        try (RunningProcess p = RunningProcess.start(new PidFile(pidDir, kind, config))) {
            while (!p.stopSignal().requested()) {
                Thread.sleep(20);
            }
            // Finishing a batch: the shutdown hook must wait for this, not cut it short.
            Thread.sleep(300);
            Files.writeString(pidDir.resolve("safe-point-" + p.pid()), p.stopSignal().reason());
        }
    }
}
