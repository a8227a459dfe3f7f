package dev.rpcl.engine;

import dev.rpcl.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * How rpcl compares the key columns of a table: with the equality operator of the key index's
 * operator classes, named with its schema, {@code OPERATOR(ext.=)}. A bare {@code =} is looked up
 * through the search_path of whoever runs it: a key of a type from an extension installed in a
 * schema off the path (ltree or citext in an {@code extensions} schema, as hosted databases
 * install them) made the replay fail with "operator does not exist", and made the application's
 * own writes of a partition fail inside rpcl's row trigger, whose search_path is pinned.
 */
record KeyEquality(List<String> operators) {

    /**
     * The operator of each key column, in key order, from the unique index whose key columns are
     * the table's key columns (the primary key first): strategy 3 of a btree operator family is
     * its equality.
     */
    private static final String OPERATORS = """
            WITH key_index AS (
                SELECT i.indclass, i.indnkeyatts
                  FROM pg_catalog.pg_index i
                 WHERE i.indrelid = ? AND i.indisunique AND NOT i.indisexclusion AND i.indisvalid AND i.indpred IS NULL
                   AND ARRAY(SELECT a.attname::text
                               FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
                               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                              ORDER BY k.ord) = ?::text[]
                 ORDER BY i.indisprimary DESC, i.indexrelid
                 LIMIT 1)
            SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname)
              FROM key_index x
             CROSS JOIN LATERAL unnest(x.indclass[0:x.indnkeyatts - 1]) WITH ORDINALITY AS k(opclass, ord)
              JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opclass
              JOIN pg_catalog.pg_amop am ON am.amopfamily = oc.opcfamily AND am.amopmethod = oc.opcmethod
                   AND am.amoplefttype = oc.opcintype AND am.amoprighttype = oc.opcintype AND am.amopstrategy = 3
              JOIN pg_catalog.pg_operator o ON o.oid = am.amopopr
              JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
             ORDER BY k.ord
            """;

    KeyEquality {
        operators = List.copyOf(operators);
    }

    /**
     * The table's key operators; where they cannot be read (no such index any more), a bare
     * {@code =} for each column, as rpcl compared keys before.
     */
    static KeyEquality of(Connection c, RepackTable t) throws SQLException {
        List<String> ops = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(OPERATORS)) {
            ps.setLong(1, t.ref().oid());
            ps.setArray(2, c.createArrayOf("text", t.keyColumns().toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ops.add(rs.getString(1));
                }
            }
        }
        if (ops.size() != t.keyColumns().size()) {
            ops = Collections.nCopies(t.keyColumns().size(), "=");
        }
        return new KeyEquality(ops);
    }

    /**
     * {@code a.k1 OPERATOR(s.=) b.k1 AND ...} over the key columns of {@code t}; key columns are
     * NOT NULL, so equality is exact.
     */
    String join(RepackTable t, String a, String b) {
        return join(t, a, b, i -> Sql.ident(t.keyColumns().get(i)));
    }

    /** The same, with {@code log}'s key columns named as the change log names them ({@link RepackTable#logKeyList}). */
    String joinLog(RepackTable t, String a, String log) {
        return join(t, a, log, i -> RepackTable.logKey(i + 1));
    }

    private String join(RepackTable t, String a, String b, java.util.function.IntFunction<String> bColumn) {
        List<String> keys = t.keyColumns();
        return IntStream.range(0, keys.size())
                .mapToObj(i -> a + "." + Sql.ident(keys.get(i)) + " " + operators.get(i) + " " + b + "." + bColumn.apply(i))
                .collect(Collectors.joining(" AND "));
    }
}
