package dev.rpcl.db;

import java.sql.SQLException;

/** SQLSTATE codes rpcl reacts to, and a walk down the cause chain to find them. */
public final class SqlStates {
    public static final String LOCK_NOT_AVAILABLE = "55P03";
    public static final String QUERY_CANCELED = "57014";
    public static final String DEADLOCK_DETECTED = "40P01";
    public static final String SERIALIZATION_FAILURE = "40001";
    public static final String UNIQUE_VIOLATION = "23505";
    public static final String EXCLUSION_VIOLATION = "23P01";
    public static final String DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
    public static final String INSUFFICIENT_PRIVILEGE = "42501";
    public static final String DUPLICATE_SCHEMA = "42P06";
    public static final String UNDEFINED_TABLE = "42P01";
    public static final String ADMIN_SHUTDOWN = "57P01";

    private SqlStates() {
    }

    /** The SQLSTATE of the first SQLException in the cause chain, or null. */
    public static String of(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    public static boolean is(Throwable t, String state) {
        return state.equals(of(t));
    }
}
