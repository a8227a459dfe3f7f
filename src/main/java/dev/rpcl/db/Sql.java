package dev.rpcl.db;

/**
 * The one place identifiers become SQL text. Values never do: they are bound with {@code ?}.
 */
public final class Sql {
    private Sql() {
    }

    /** A double-quoted identifier, as PostgreSQL's quote_ident would write it but always quoted. */
    public static String ident(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."name"}. */
    public static String qualified(String schema, String name) {
        return ident(schema) + '.' + ident(name);
    }

    /** A string literal, for the few statements (DDL such as COMMENT ON) where binding is impossible. */
    public static String literal(String value) {
        if (value == null) {
            return "NULL";
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("literal contains a NUL character");
        }
        String escaped = value.replace("'", "''");
        return escaped.contains("\\") ? "E'" + escaped.replace("\\", "\\\\") + "'" : "'" + escaped + "'";
    }
}
