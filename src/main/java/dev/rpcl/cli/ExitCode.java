package dev.rpcl.cli;

import dev.rpcl.RpclException;

/** rpcl's exit codes, documented in README.md; the only place an outcome becomes a number. */
public final class ExitCode {
    public static final int OK = 0;
    /** The operation was attempted and failed. */
    public static final int FAILED = 1;
    /** Bad command line or configuration. */
    public static final int BAD_INPUT = 2;
    /** Finished, but some tables were skipped or failed. */
    public static final int PARTIAL = 3;

    private ExitCode() {
    }

    public static int of(Throwable t) {
        if (t instanceof RpclException e) {
            return e.kind() == RpclException.Kind.BAD_INPUT ? BAD_INPUT : FAILED;
        }
        return FAILED;
    }
}
