package dev.rpcl.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The password a connection falls back to when its config has none, as libpq finds it:
 * PGPASSWORD, then the password file (PGPASSFILE, else ~/.pgpass) with its * wildcards.
 */
public final class PgPass {
    private PgPass() {
    }

    public static String lookup(Map<String, String> env, String host, int port, String database, String user) {
        String fromEnv = env.get("PGPASSWORD");
        if (fromEnv != null) {
            return fromEnv;
        }
        String fileName = env.getOrDefault("PGPASSFILE", System.getProperty("user.home") + "/.pgpass");
        Path file = Path.of(fileName);
        if (!Files.isReadable(file)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                List<String> f = fields(line);
                if (f.size() == 5 && matches(f.get(0), host) && matches(f.get(1), Integer.toString(port))
                        && matches(f.get(2), database) && matches(f.get(3), user)) {
                    return f.get(4);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static boolean matches(String pattern, String value) {
        return pattern.equals("*") || pattern.equals(value);
    }

    /** Splits on unescaped colons; backslash escapes : and \ as in libpq. */
    static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
            } else if (c == ':') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
