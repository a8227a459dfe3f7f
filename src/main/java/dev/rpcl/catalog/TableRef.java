package dev.rpcl.catalog;

import dev.rpcl.db.Sql;

/**
 * A table being repacked and its copy. {@code oid} is the original's OID at the time the repack
 * started; the copy lives in sch_repnew until the swap gives it the original's schema and name.
 */
public record TableRef(long oid, String schema, String name, String copySchema, String copyName) {

    /** The original, quoted: {@code "schema"."name"}. After the swap this names the new table. */
    public String qualified() {
        return Sql.qualified(schema, name);
    }

    /** The copy, quoted, where it lives before the swap. */
    public String copyQualified() {
        return Sql.qualified(copySchema, copyName);
    }

    /**
     * The copy's stand-in parent while the original is a child in an inheritance tree
     * ({@link Inheritance}): it gives the copy the original's inherited columns and constraints as
     * inherited ones, and goes at the swap.
     */
    public String copyParentsQualified() {
        return Sql.qualified(copySchema, "parents_" + oid);
    }

    /**
     * The copy under its own name: carriers that prepare the copy before the swap build their
     * statements for this, so that they address the copy where it is, in sch_repnew.
     */
    public TableRef asCopy() {
        return new TableRef(oid, copySchema, copyName, copySchema, copyName);
    }

    /** schema.name unquoted, for messages and logs. */
    public String display() {
        return schema + "." + name;
    }
}
