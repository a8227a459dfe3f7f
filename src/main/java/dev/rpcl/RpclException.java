package dev.rpcl;

/**
 * The one exception rpcl raises for anything a user should read. The message is a single line
 * that says what failed, on what, and what to do; {@link Kind} decides the exit code, which
 * {@code dev.rpcl.cli.ExitCode} maps in one place.
 */
public class RpclException extends RuntimeException {

    /** Why the command could not finish; each kind maps to one exit code. */
    public enum Kind {
        /** Bad command line, missing or malformed configuration, bad value: the user must fix input. */
        BAD_INPUT,
        /** The operation was attempted and failed (database error, lock not obtained, ...). */
        FAILED
    }

    private final Kind kind;

    public RpclException(Kind kind, String message) {
        this(kind, message, null);
    }

    public RpclException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static RpclException badInput(String message) {
        return new RpclException(Kind.BAD_INPUT, message);
    }

    public static RpclException failed(String message, Throwable cause) {
        return new RpclException(Kind.FAILED, message, cause);
    }

    public static RpclException failed(String message) {
        return new RpclException(Kind.FAILED, message);
    }

    public Kind kind() {
        return kind;
    }
}
