package dev.rpcl.config;

/**
 * A column of a table as the table_conf rules see it: its name, its type as
 * {@code format_type()} writes it ("jsonb", "json", "character varying(20)"), and whether it is
 * a generated column, whose value the copy computes itself.
 */
public record TableColumn(String name, String type, boolean generated) {

    public TableColumn(String name, String type) {
        this(name, type, false);
    }
}
