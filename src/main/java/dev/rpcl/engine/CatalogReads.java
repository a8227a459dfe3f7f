package dev.rpcl.engine;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the swap read the catalog ahead of its lock and, under the lock, only check in one round
 * trip that what it read still holds. Every statement a reading runs through the connection is
 * recorded, with its parameters and every row it returned; {@link Recorded#stillHolds} runs them
 * all again, in order, as one multi-statement request, and compares. A reading that is a function
 * of what it reads (as {@code Carrier.capture} must be) would, run again now, issue the same
 * statements and get the same rows at every step, so its earlier result is its result now.
 *
 * <p>Statements without a result (SET LOCAL, the copy's NOT VALID checks) are run again too, so
 * the state they leave is the same; anything the recorder does not understand (a batch, an
 * update count, a commit) makes the recording unusable, and the caller reads again under the lock.
 */
final class CatalogReads {
    private static final Logger LOG = LoggerFactory.getLogger(CatalogReads.class);
    private static final String SAVEPOINT = "rpcl_catalog_reads";

    /** The calls that only read what the statement already holds, or release it. */
    private static final Set<String> HARMLESS = Set.of("close", "isClosed", "unwrap", "isWrapperFor", "getWarnings",
            "clearWarnings", "getMetaData", "toString", "hashCode", "equals", "createArrayOf", "getAutoCommit",
            "getTransactionIsolation", "setFetchSize", "getFetchSize");

    @FunctionalInterface
    interface Reading<T> {
        T read(Connection c) throws SQLException;
    }

    /** A parameter as the reading set it: the setter and its arguments after the index. */
    private record Param(Method setter, Object[] args) {
    }

    /** One statement run: its parameters by index and, for a query, the rows read (as text). */
    private static final class Entry {
        final String sql;
        final TreeMap<Integer, Param> params;
        final boolean query;
        final List<List<String>> rows = new ArrayList<>();
        boolean complete;

        Entry(String sql, TreeMap<Integer, Param> params, boolean query) {
            String s = sql.strip();
            this.sql = s.endsWith(";") ? s.substring(0, s.length() - 1) : s;
            this.params = params;
            this.query = query;
        }
    }

    /** What a reading returned, and the statements that led to it. */
    static final class Recorded<T> {
        private final T value;
        private final List<Entry> entries;
        private final boolean usable;

        private Recorded(T value, List<Entry> entries, boolean usable) {
            this.value = value;
            this.entries = entries;
            this.usable = usable;
        }

        T value() {
            return value;
        }

        int statements() {
            return entries.size();
        }

        /**
         * Runs every recorded statement again, in one round trip, inside a savepoint; true when
         * each query returned the rows the reading saw (and no more, where it read to the end).
         * Otherwise, or on any error, the savepoint is rolled back: the transaction is as before.
         */
        boolean stillHolds(Connection c) throws SQLException {
            if (!usable) {
                return false;
            }
            StringBuilder sql = new StringBuilder("SAVEPOINT " + SAVEPOINT);
            for (Entry e : entries) {
                // On a line of its own: a statement that ends in a -- comment still ends there.
                sql.append("\n;\n").append(e.sql);
            }
            boolean holds;
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int offset = 0;
                for (Entry e : entries) {
                    for (var p : e.params.entrySet()) {
                        Object[] args = new Object[p.getValue().args().length + 1];
                        args[0] = offset + p.getKey();
                        System.arraycopy(p.getValue().args(), 0, args, 1, p.getValue().args().length);
                        invoke(p.getValue().setter(), ps, args);
                    }
                    offset += e.params.isEmpty() ? 0 : e.params.lastKey();
                }
                holds = compare(ps);
            } catch (SQLException ex) {
                LOG.debug("checking the catalog reads failed: {}", ex.getMessage());
                holds = false;
            }
            if (!holds) {
                try (Statement st = c.createStatement()) {
                    st.execute("ROLLBACK TO SAVEPOINT " + SAVEPOINT);
                }
            }
            return holds;
        }

        private boolean compare(PreparedStatement ps) throws SQLException {
            boolean isResult = ps.execute();
            // The SAVEPOINT's own result first.
            isResult = ps.getMoreResults();
            for (Entry e : entries) {
                if (isResult != e.query) {
                    return false;
                }
                if (e.query) {
                    try (ResultSet rs = ps.getResultSet()) {
                        if (!sameRows(e, rs)) {
                            LOG.debug("the catalog changed since it was read: {}", e.sql.lines().findFirst().orElse(""));
                            return false;
                        }
                    }
                }
                isResult = ps.getMoreResults();
            }
            return true;
        }

        private static boolean sameRows(Entry e, ResultSet rs) throws SQLException {
            int columns = rs.getMetaData().getColumnCount();
            for (List<String> row : e.rows) {
                if (!rs.next() || row.size() != columns) {
                    return false;
                }
                for (int i = 0; i < columns; i++) {
                    String now = cell(rs, i + 1);
                    if (!Objects.equals(row.get(i), now)) {
                        LOG.debug("column {}: read {}, now {}", rs.getMetaData().getColumnLabel(i + 1), row.get(i), now);
                        return false;
                    }
                }
            }
            return !e.complete || !rs.next();
        }
    }

    private CatalogReads() {
    }

    /** Runs the reading on {@code c}, recording what it runs and reads. */
    static <T> Recorded<T> record(Connection c, Reading<T> reading) throws SQLException {
        Recorder recorder = new Recorder();
        Connection proxy = recorder.proxy(Connection.class, c, null, null);
        T value = reading.read(proxy);
        return new Recorded<>(value, recorder.entries, recorder.usable);
    }

    /** One handler for the connection, its statements and their results, told apart by the target's type. */
    private static final class Recorder {
        final List<Entry> entries = new ArrayList<>();
        boolean usable = true;

        <I> I proxy(Class<I> type, Object target, String sql, Entry entry) {
            TreeMap<Integer, Param> params = new TreeMap<>();
            InvocationHandler h = (self, m, args) -> {
                if (target instanceof ResultSet rs) {
                    return onResultSet(rs, entry, m, args);
                }
                if (target instanceof PreparedStatement ps) {
                    return onPrepared(ps, sql, params, m, args);
                }
                if (target instanceof Statement st) {
                    return onStatement(st, m, args);
                }
                return onConnection((Connection) target, self, m, args);
            };
            return type.cast(Proxy.newProxyInstance(CatalogReads.class.getClassLoader(), new Class<?>[] {type}, h));
        }

        private Object onConnection(Connection c, Object self, Method m, Object[] args) throws Throwable {
            if (m.getName().equals("prepareStatement") && args.length == 1) {
                return proxy(PreparedStatement.class, c.prepareStatement((String) args[0]), (String) args[0], null);
            }
            if (m.getName().equals("createStatement") && (args == null || args.length == 0)) {
                return proxy(Statement.class, c.createStatement(), null, null);
            }
            return other(c, m, args);
        }

        private Object onPrepared(PreparedStatement ps, String sql, TreeMap<Integer, Param> params, Method m, Object[] args)
                throws Throwable {
            String name = m.getName();
            if (name.startsWith("set") && args != null && args.length >= 2 && m.getParameterTypes()[0] == int.class) {
                Object[] rest = new Object[args.length - 1];
                System.arraycopy(args, 1, rest, 0, rest.length);
                params.put((Integer) args[0], new Param(m, rest));
                return invoke(m, ps, args);
            }
            if (name.equals("clearParameters")) {
                params.clear();
                return invoke(m, ps, args);
            }
            if (name.equals("executeQuery") && args == null) {
                Entry e = new Entry(sql, new TreeMap<>(params), true);
                ResultSet rs = ps.executeQuery();
                entries.add(e);
                return proxy(ResultSet.class, rs, null, e);
            }
            if (name.equals("execute") && args == null) {
                Entry e = new Entry(sql, new TreeMap<>(params), false);
                usable &= !ps.execute();
                entries.add(e);
                return false;
            }
            return other(ps, m, args);
        }

        private Object onStatement(Statement st, Method m, Object[] args) throws Throwable {
            if (m.getName().equals("executeQuery") && args != null && args.length == 1) {
                Entry e = new Entry((String) args[0], new TreeMap<>(), true);
                ResultSet rs = st.executeQuery((String) args[0]);
                entries.add(e);
                return proxy(ResultSet.class, rs, null, e);
            }
            if (m.getName().equals("execute") && args != null && args.length == 1) {
                Entry e = new Entry((String) args[0], new TreeMap<>(), false);
                usable &= !st.execute((String) args[0]);
                entries.add(e);
                return false;
            }
            return other(st, m, args);
        }

        private Object onResultSet(ResultSet rs, Entry e, Method m, Object[] args) throws Throwable {
            if (m.getName().equals("next")) {
                boolean more = rs.next();
                if (more) {
                    int columns = rs.getMetaData().getColumnCount();
                    List<String> row = new ArrayList<>(columns);
                    for (int i = 1; i <= columns; i++) {
                        row.add(cell(rs, i));
                    }
                    e.rows.add(row);
                } else {
                    e.complete = true;
                }
                return more;
            }
            // Getters of the current row read only what was recorded with it; moving otherwise would not be.
            if (!m.getName().startsWith("get") && !m.getName().equals("wasNull") && !HARMLESS.contains(m.getName())) {
                usable = false;
            }
            return invoke(m, rs, args);
        }

        private Object other(Object target, Method m, Object[] args) throws Throwable {
            if (!HARMLESS.contains(m.getName())) {
                usable = false;
            }
            return invoke(m, target, args);
        }
    }

    /**
     * A value as text that does not depend on how it travelled: pgjdbc renders an array received
     * in binary (a statement it has prepared on the server) with quotes it omits in text.
     */
    private static String cell(ResultSet rs, int column) throws SQLException {
        Object v = rs.getObject(column);
        if (v instanceof java.sql.Array a) {
            return Arrays.deepToString((Object[]) a.getArray());
        }
        return v == null ? null : v.getClass().getSimpleName() + ":" + v;
    }

    private static Object invoke(Method m, Object target, Object[] args) throws SQLException {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
