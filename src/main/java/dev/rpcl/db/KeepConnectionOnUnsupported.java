package dev.rpcl.db;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;

/**
 * HikariCP closes a connection on SQLSTATE 0A000 (feature not supported), as if the connection
 * were broken. From PostgreSQL that state is a statement refused (a CREATE INDEX the server cannot
 * build, SET STORAGE on a type that has none): the session is fine, and closing it under the
 * engine took the cleanup of the failed table with it. Every other state is left to HikariCP.
 */
public final class KeepConnectionOnUnsupported implements SQLExceptionOverride {
    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
        return "0A000".equals(e.getSQLState()) ? SQLExceptionOverride.Override.DO_NOT_EVICT
                : SQLExceptionOverride.Override.CONTINUE_EVICT;
    }
}
