package dev.rpcl.catalog;

import dev.rpcl.db.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Replays an access control list on a recreated relation, aclitem by aclitem in the catalog's
 * order, so that relacl/attacl and pg_dump's GRANT lines come out the same as before.
 */
final class Acl {
    private Acl() {
    }

    /** One privilege of one aclitem, as aclexplode() returns it; grantee null means PUBLIC. */
    record Item(String grantor, String grantee, String privilege, boolean grantable) {
    }

    /**
     * The columns a query must select, from {@code aclexplode(<acl>) WITH ORDINALITY x(...)},
     * for {@link #item(CatalogRows.Row)} to read them.
     */
    static final String EXPLODED_COLUMNS = """
            pg_catalog.pg_get_userbyid(x.grantor) AS grantor,
            CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END AS grantee,
            x.privilege_type, x.is_grantable, x.ord""";

    static Item item(CatalogRows.Row r) {
        return new Item(r.str("grantor"), r.str("grantee"), r.str("privilege_type"), r.bool("is_grantable"));
    }

    /**
     * Statements that make the ACL of a relation ({@code kind} TABLE or SEQUENCE), or of one of
     * its columns when {@code column} is not null, equal to {@code items}. A relation's ACL is
     * cleared first (PUBLIC, the owner and every grantee in {@code items}); a column of a new
     * relation has none. Each statement runs as the role recorded as grantor ({@code SET LOCAL
     * ROLE}, which rpcl's user {@code me} may do as a member of it): a member of several roles
     * holding grant options would otherwise be recorded as granting through any one of them.
     * {@code sessionRole} (current_setting('role')) is restored at the end.
     */
    static List<String> replay(String kind, String target, String column, String owner, List<Item> items, String me,
            String sessionRole) {
        List<String> out = new ArrayList<>();
        String[] acting = {me};
        java.util.function.Consumer<String> actAs = role -> {
            if (!role.equals(acting[0])) {
                out.add("SET LOCAL ROLE " + Sql.ident(role));
                acting[0] = role;
            }
        };
        if (column == null) {
            // From everyone the ACL names too: a recreated relation may have been granted some
            // of them already, and a second aclitem for the same grantee would differ.
            actAs.accept(owner);
            java.util.Set<String> revoked = new java.util.LinkedHashSet<>();
            revoked.add("PUBLIC");
            revoked.add(Sql.ident(owner));
            items.forEach(item -> revoked.add(grantee(item.grantee())));
            for (String grantee : revoked) {
                out.add("REVOKE ALL ON " + kind + " " + target + " FROM " + grantee + " CASCADE");
            }
        }
        String cols = column == null ? "" : " (" + Sql.ident(column) + ")";
        int i = 0;
        while (i < items.size()) {
            Item first = items.get(i);
            List<String> privileges = new ArrayList<>();
            // Consecutive privileges of the same aclitem with the same grant option: one GRANT.
            while (i < items.size() && sameGrant(first, items.get(i))) {
                privileges.add(items.get(i).privilege() + cols);
                i++;
            }
            actAs.accept(first.grantor());
            out.add("GRANT " + String.join(", ", privileges) + " ON " + kind + " " + target + " TO "
                    + grantee(first.grantee()) + (first.grantable() ? " WITH GRANT OPTION" : ""));
        }
        if (!acting[0].equals(me)) {
            out.add("none".equals(sessionRole) ? "SET LOCAL ROLE NONE" : "SET LOCAL ROLE " + Sql.ident(sessionRole));
        }
        return out;
    }

    private static boolean sameGrant(Item a, Item b) {
        return a.grantor().equals(b.grantor()) && Objects.equals(a.grantee(), b.grantee()) && a.grantable() == b.grantable();
    }

    static String grantee(String name) {
        return name == null ? "PUBLIC" : Sql.ident(name);
    }
}
