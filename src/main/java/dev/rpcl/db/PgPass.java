package dev.rpcl.db;

import dev.rpcl.config.RpclHome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The password a connection falls back to when its config has none, as libpq finds it: a
 * non-empty PGPASSWORD, then the password file (PGPASSFILE, else ~/.pgpass) with its *
 * wildcards and backslash escapes. Like libpq, a password file that group or others may read
 * is ignored, with a warning.
 */
public final class PgPass {
    private static final Logger LOG = LoggerFactory.getLogger(PgPass.class);
    private static final Set<PosixFilePermission> TOO_OPEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PgPass() {
    }

    /** The password for this connection, or null when neither PGPASSWORD nor the file has one. */
    public static String lookup(Map<String, String> env, String host, int port, String database, String user) {
        String fromEnv = env.get("PGPASSWORD");
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv;
        }
        String fileName = env.get("PGPASSFILE");
        Path file = fileName != null && !fileName.isEmpty() ? Path.of(fileName)
                : RpclHome.userHome(env).resolve(".pgpass");
        if (!Files.isRegularFile(file) || !Files.isReadable(file) || tooOpen(file)) {
            return null;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                List<String> f = fields(line);
                if (f.size() >= 5 && matches(f.get(0), host) && matches(f.get(1), Integer.toString(port))
                        && matches(f.get(2), database) && matches(f.get(3), user)) {
                    return f.get(4);
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot read the password file {}: {}", file, e.getMessage());
        }
        return null;
    }

    private static boolean tooOpen(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            perms.retainAll(TOO_OPEN);
            if (!perms.isEmpty()) {
                LOG.warn("Password file {} is ignored: group or others may access it; chmod 0600 it, as libpq requires", file);
                return true;
            }
            return false;
        } catch (UnsupportedOperationException | IOException e) {
            return false;
        }
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
            } else if (c == ':' && out.size() < 4) {
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
