package dev.rpcl.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rpcl.engine.Plan;
import dev.rpcl.engine.RepackReport;
import dev.rpcl.engine.TableResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The --json documents, built field by field so that their shape is the documented one
 * (README, "JSON output") and not whatever the engine's records happen to hold. Every document
 * has {@code format} ("rpcl/1": a change that breaks a reader gets a new number) and
 * {@code command}. Sizes are in bytes; absent values are null.
 */
final class JsonOutput {
    static final String FORMAT = "rpcl/1";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonOutput() {
    }

    static Map<String, Object> document(String command) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        doc.put("command", command);
        return doc;
    }

    static String write(Map<String, Object> doc) {
        try {
            return MAPPER.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    static Map<String, Object> plan(Plan plan) {
        Map<String, Object> conn = new LinkedHashMap<>();
        conn.put("connection", plan.connection());
        conn.put("database", plan.database());
        conn.put("wal_level", plan.walLevel());
        List<Map<String, Object>> tables = new ArrayList<>();
        int position = 0;
        for (Plan.Entry e : plan.tables()) {
            boolean works = e.action() == Plan.Action.REPACK || e.action() == Plan.Action.RESUME;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("position", works ? ++position : null);
            t.put("table", e.table());
            t.put("action", e.action().name().toLowerCase(Locale.ROOT));
            t.put("reason", e.reason());
            t.put("engine", e.engine());
            t.put("engine_reason", e.engineReason());
            t.put("key", e.key());
            t.put("size_bytes", e.sizeBytes());
            t.put("estimated_gain_bytes", e.gainBytes() < 0 ? null : e.gainBytes());
            t.put("estimated_size_after_bytes", works ? e.afterBytes() : null);
            t.put("peak_extra_disk_bytes", works ? e.peakExtraBytes() : null);
            t.put("locked_by", e.lockedBy());
            tables.add(t);
        }
        conn.put("tables", tables);
        conn.put("oid_columns", plan.oidColumns());
        return conn;
    }

    static Map<String, Object> report(RepackReport report) {
        Map<String, Object> conn = new LinkedHashMap<>();
        conn.put("connection", report.connection());
        List<Map<String, Object>> tables = new ArrayList<>();
        for (TableResult r : report.tables()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("table", r.table());
            t.put("status", r.status().name().toLowerCase(Locale.ROOT));
            t.put("ok", r.ok());
            t.put("engine", r.engine());
            t.put("reason", r.reason());
            t.put("size_before_bytes", r.sizeBefore() > 0 ? r.sizeBefore() : null);
            t.put("size_after_bytes", r.sizeAfter() > 0 ? r.sizeAfter() : null);
            t.put("rows_copied", r.rowsCopied());
            t.put("rows_replayed", r.rowsReplayed());
            t.put("lock_attempts", r.lockAttempts());
            // REPACK takes and holds its lock inside the server, where rpcl cannot time it.
            t.put("lock_held_ms", r.status() == TableResult.Status.REPACKED && !TableResult.CORE_REPACK.equals(r.engine())
                    ? r.lockHeldMs() : null);
            tables.add(t);
        }
        conn.put("tables", tables);
        return conn;
    }
}
