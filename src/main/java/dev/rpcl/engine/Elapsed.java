package dev.rpcl.engine;

/** Elapsed time on the monotonic clock, the one every duration rpcl logs or records is measured with. */
final class Elapsed {
    private Elapsed() {
    }

    /** Milliseconds since {@code startNanos}, a value of {@link System#nanoTime()}. */
    static long msSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Whole seconds since {@code startNanos}. */
    static long secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000_000;
    }
}
