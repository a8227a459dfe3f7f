package dev.rpcl.catalog;

import java.util.List;

/**
 * A table that {@link TableSelector} found in the configured schemas and tables. {@code keyColumns}
 * is the row identity (primary key, else a unique index on NOT NULL columns); empty together with
 * a {@code skipReason} when the table cannot be repacked.
 */
public record Candidate(
        long oid,
        String schema,
        String name,
        List<String> keyColumns,
        String keySource,
        long totalBytes,
        long wastedBytes,
        String skipReason) {

    /** {@code wastedBytes} when there are no statistics to estimate it from. */
    public static final long UNKNOWN = -1;

    public Candidate {
        keyColumns = List.copyOf(keyColumns);
    }

    public boolean qualifies() {
        return skipReason == null;
    }

    public String display() {
        return schema + "." + name;
    }
}
