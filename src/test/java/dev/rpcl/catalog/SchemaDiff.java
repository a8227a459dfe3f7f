package dev.rpcl.catalog;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Asserts two pg_dump texts are identical, showing a unified diff when they are not. */
public final class SchemaDiff {
    private SchemaDiff() {
    }

    /**
     * pg_dump since 15.14 wraps its output in \\restrict / \\unrestrict lines with a random key
     * that differs from run to run; they say nothing about the schema.
     */
    static String normalize(String dump) {
        return dump.replaceAll("(?m)^\\\\(un)?restrict .*$", "");
    }

    /** pg_dump --schema-only texts before and after a repack are the same. */
    public static void assertSameSchema(String rawBefore, String rawAfter) {
        assertSameSchema(rawBefore, rawAfter, null);
    }

    static void assertSameSchema(String rawBefore, String rawAfter, SwapSimulator.Swap swap) {
        String before = normalize(rawBefore);
        String after = normalize(rawAfter);
        if (!before.equals(after)) {
            fail("pg_dump differs after the swap\n" + diff(before, after) + "\n--- swap statements:\n"
                    + (swap == null ? "(not recorded)" : String.join(";\n", swap.statements())));
        }
    }

    static String diff(String before, String after) {
        try {
            Path a = Files.createTempFile("rpcl-before", ".sql");
            Path b = Files.createTempFile("rpcl-after", ".sql");
            try {
                Files.writeString(a, before);
                Files.writeString(b, after);
                Process p = new ProcessBuilder("diff", "-u", a.toString(), b.toString()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                p.waitFor();
                return out;
            } finally {
                Files.deleteIfExists(a);
                Files.deleteIfExists(b);
            }
        } catch (IOException e) {
            return "(no diff: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(no diff: interrupted)";
        }
    }
}
