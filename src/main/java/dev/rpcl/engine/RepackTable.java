package dev.rpcl.engine;

import dev.rpcl.catalog.TableRef;
import dev.rpcl.db.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One table in flight: the original, its copy {@code sch_repnew.new_<oid>}, its change log
 * {@code sch_repnew.log_<oid>} and the log trigger functions, all named after the original's OID
 * so that two tables never collide and a resumed run finds them again.
 */
public record RepackTable(TableRef ref, List<String> keyColumns) {

    public RepackTable {
        keyColumns = List.copyOf(keyColumns);
    }

    public static RepackTable of(long oid, String schema, String name, List<String> keyColumns) {
        return new RepackTable(new TableRef(oid, schema, name, HelperSchema.NEW_SCHEMA, "new_" + oid), keyColumns);
    }

    public String display() {
        return ref.display();
    }

    public String logName() {
        return "log_" + ref.oid();
    }

    public String log() {
        return Sql.qualified(HelperSchema.NEW_SCHEMA, logName());
    }

    /** The name the original takes when the swap parks it in sch_repdrop, before it is dropped. */
    public String parkedName() {
        return "old_" + ref.oid();
    }

    public String parked() {
        return Sql.qualified(HelperSchema.DROP_SCHEMA, parkedName());
    }

    public String original() {
        return ref.qualified();
    }

    public String copy() {
        return ref.copyQualified();
    }

    /** The trigger function for one event: ins, upd, del or trunc. */
    public String function(String event) {
        return Sql.qualified(HelperSchema.NEW_SCHEMA, "fn_log_" + event + "_" + ref.oid());
    }

    /** The key columns quoted and comma-separated, optionally prefixed with a table alias. */
    public String keyList(String alias) {
        String prefix = alias == null ? "" : alias + ".";
        return keyColumns.stream().map(k -> prefix + Sql.ident(k)).collect(Collectors.joining(", "));
    }

    /**
     * The change log's key columns, named by position ({@code k1, k2, ...}) and optionally
     * prefixed with an alias: the log's own columns (i_id, i_xid, b_truncate) are never among
     * them, whatever the table's key columns are called.
     */
    public String logKeyList(String alias) {
        String prefix = alias == null ? "" : alias + ".";
        return java.util.stream.IntStream.rangeClosed(1, keyColumns.size()).mapToObj(i -> prefix + logKey(i))
                .collect(Collectors.joining(", "));
    }

    /** The log's column for the key column at 1-based {@code position}. */
    static String logKey(int position) {
        return "k" + position;
    }

    /** A key for pg_try_advisory_lock: 'rpcl' in the high half, the table's OID in the low half. */
    /** The high half of every table's advisory key ("rpcl"); pg_locks shows it as classid. */
    static final long ADVISORY_CLASS = 0x7270636CL;

    public long advisoryKey() {
        return (ADVISORY_CLASS << 32) | ref.oid();
    }
}
