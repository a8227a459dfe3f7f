package dev.rpcl.config;

import java.util.List;

/**
 * The JSON cleanup asked for one column: {@code COLUMN.cleanup_nulls} and/or
 * {@code COLUMN.remove_keys} in the section {@code [SCHEMA.TABLE]}. As in repcloud,
 * cleanup_nulls wins when both are set; {@code section} is the section as the user wrote it, for
 * messages.
 */
public record ColumnRule(String column, String section, boolean cleanupNulls, List<String> removeKeys) {

    public ColumnRule {
        removeKeys = List.copyOf(removeKeys);
    }

    /** Whether the rule changes the column's values at all. */
    public boolean changesValues() {
        return cleanupNulls || !removeKeys.isEmpty();
    }

    /** The keys actually removed: none when cleanup_nulls wins. */
    public List<String> effectiveRemoveKeys() {
        return cleanupNulls ? List.of() : removeKeys;
    }
}
