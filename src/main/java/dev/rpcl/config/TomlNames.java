package dev.rpcl.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Writes key paths back the way a user types them in TOML, so a message names the section they
 * must edit: {@code [storage.public.orders]}, or {@code [public."t.1"]} when a name needs quotes.
 */
final class TomlNames {
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_-]+");

    private TomlNames() {
    }

    /** One key, bare when TOML allows it, else a quoted basic string. */
    static String key(String name) {
        if (BARE.matcher(name).matches()) {
            return name;
        }
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (ch < 0x20 || ch == 0x7f) {
                        sb.append(String.format("\\u%04X", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A dotted key path, e.g. {@code public."t.1".payload}. */
    static String path(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String name : names) {
            if (sb.length() > 0) {
                sb.append('.');
            }
            sb.append(key(name));
        }
        return sb.toString();
    }

    /** A section header, e.g. {@code [storage.public.orders]}. */
    static String section(List<String> names) {
        return "[" + path(names) + "]";
    }
}
