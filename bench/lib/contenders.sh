# The contenders: how each one is set up in a fresh database and how its repack is run.
# Sourced; expects PGHOST, PGPORT, SUPERUSER, OWNER, ROOT_DIR, RPCL_HOME, RPCL_SETTINGS.

# Set-up that is not part of the timed repack (as installing the tool would not be).
contender_setup() { # contender db dir
    local contender=$1 db=$2 dir=$3
    case $contender in
        pg_repack) su_psql "$db" -c "CREATE EXTENSION pg_repack" ;;
        rpcl | rpcl_base | rpcl_engine | rpcl_chunked)
            # rpcl_engine: rpcl's own engine whatever the server, for PostgreSQL 19's side by side
            # with REPACK (CONCURRENTLY), which rpcl's default (engine = auto) takes there.
            # rpcl_chunked: the copy in chunks of --copy-chunk (copy_chunk), against the one statement.
            local extra=""
            [ "$contender" = rpcl_engine ] && extra='engine = "rpcl"'
            [ "$contender" = rpcl_chunked ] && extra="copy_chunk = \"$COPY_CHUNK\""
            rpcl_write_config "$db" "$extra"
            rm -f "$RPCL_HOME/logs/repack_bench.log"
            REPCLOUD_HOME="$RPCL_HOME" "$ROOT_DIR/scripts/rpcl" create_schema --config bench >"$dir/rpcl-create_schema.out" 2>&1 \
                || { cat "$dir/rpcl-create_schema.out" >&2; return 1; }
            ;;
        vacuum_full | repack_core | none) ;;
        *) die "unknown contender $contender" ;;
    esac
}

# The timed repack; its output goes to $dir/<contender>.out. Returns the tool's exit code
# (124 when it ran longer than --timeout).
contender_run() { # contender db dir
    local contender=$1 db=$2 dir=$3
    case $contender in
        rpcl)
            rpcl_cmd repack_tables "$dir/rpcl.out"
            ;;
        rpcl_base)
            RPCL_JAR=$RPCL_BASE_JAR rpcl_cmd repack_tables "$dir/rpcl_base.out"
            ;;
        rpcl_engine | rpcl_chunked)
            rpcl_cmd repack_tables "$dir/$contender.out"
            ;;
        repack_core)
            # PostgreSQL 19's own online repack, as its owner runs it by hand, analyzed as the others
            timeout "$RUN_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$OWNER" -d "$db" \
                -c "REPACK (CONCURRENTLY, ANALYZE) public.bench_item" >"$dir/repack_core.out" 2>&1
            ;;
        pg_repack)
            timeout "$RUN_TIMEOUT" pg_repack -h "$PGHOST" -p "$PGPORT" -U "$SUPERUSER" -d "$db" -t public.bench_item $PG_REPACK_ARGS >"$dir/pg_repack.out" 2>&1
            ;;
        vacuum_full)
            # with ANALYZE, so all three leave the same thing behind: a compact, analyzed table
            timeout "$RUN_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$OWNER" -d "$db" \
                -c "VACUUM (FULL, ANALYZE) public.bench_item" >"$dir/vacuum_full.out" 2>&1
            ;;
        none)
            sleep "$DURATION"
            ;;
    esac
}

contender_label() {
    case $1 in
        rpcl) echo "rpcl" ;;
        rpcl_base) echo "rpcl, base build" ;;
        rpcl_engine) echo "rpcl, engine = rpcl" ;;
        rpcl_chunked) echo "rpcl, copy in chunks of $COPY_CHUNK" ;;
        repack_core) echo "REPACK (CONCURRENTLY), by hand" ;;
        pg_repack) echo "pg_repack" ;;
        vacuum_full) echo "VACUUM FULL" ;;
        none) echo "no repack (baseline)" ;;
    esac
}

# The configuration rpcl runs with: the owner role, the one table, and defaults for everything
# else unless --rpcl-setting overrides a key of the connection.
rpcl_write_config() { # db [extra line for the connection]
    mkdir -p "$RPCL_HOME/config"
    {
        echo "pid_dir = \"$RPCL_HOME/pid\""
        echo "[logging]"
        echo "log_dir = \"$RPCL_HOME/logs\""
        echo "log_level = \"info\""
        echo "log_dest = \"file\""
        echo "[notifier]"
        echo "enable_email = false"
        echo "[connections.bench]"
        echo "user = \"$OWNER\""
        echo "host = \"$PGHOST\""
        echo "port = \"$PGPORT\""
        echo "database = \"$1\""
        echo "sslmode = \"disable\""
        echo "tables = [\"public.bench_item\"]"
        [ -z "${2:-}" ] || echo "$2"
        local setting
        for setting in "${RPCL_SETTINGS[@]}"; do
            echo "${setting%%=*} = \"${setting#*=}\""
        done
    } >"$RPCL_HOME/config/bench.toml"
}

# One rpcl command on the benchmark's configuration, in the foreground, bounded by --timeout;
# its output goes to the given file.
rpcl_cmd() { # command out-file
    REPCLOUD_HOME="$RPCL_HOME" timeout "$RUN_TIMEOUT" "$ROOT_DIR/scripts/rpcl" "$1" --config bench --debug >"$2" 2>&1
}

# The change-log rows waiting for bench_item's replay, empty when it has no log.
rpcl_backlog() { # db
    local logtable
    logtable=$(owner_value "$1" "SELECT v_log_table_name FROM sch_repcloud.t_table_repack
                                 WHERE v_schema_name = 'public' AND v_old_table_name = 'bench_item'" || true)
    [ -z "$logtable" ] || owner_value "$1" "SELECT count(*) FROM sch_repnew.\"$logtable\"" || true
}

# What rpcl recorded about the run: its state row (sch_repcloud.t_table_repack) as JSON and its
# log. Prints key=value lines: status, rows_copied, rows_replayed, replay_s, lock_held_ms,
# lock_attempts, timings (j_timings as JSON).
rpcl_metrics() { # db dir
    local db=$1 dir=$2 state
    cp "$RPCL_HOME/logs/repack_bench.log" "$dir/rpcl-repack_bench.log" 2>/dev/null || true
    state=$(owner_value "$db" "SELECT to_jsonb(t) FROM sch_repcloud.t_table_repack t
                               WHERE v_schema_name = 'public' AND v_old_table_name = 'bench_item'
                               ORDER BY i_id_table DESC LIMIT 1" 2>/dev/null || true)
    echo "$state" >"$dir/rpcl-state.json"
    if [ -n "$state" ]; then
        echo "status=$(jq -r '.v_status // empty' <<<"$state")"
        echo "rows_copied=$(jq -r '.i_rows_copied // empty' <<<"$state")"
        echo "rows_replayed=$(jq -r '.i_rows_replayed // empty' <<<"$state")"
        echo "lock_held_ms=$(jq -r '.i_lock_held_ms // empty' <<<"$state")"
        echo "lock_attempts=$(jq -r '.i_lock_attempts // empty' <<<"$state")"
        echo "timings=$(jq -c '.j_timings // {}' <<<"$state")"
    fi
    rpcl_log_metrics "$dir/rpcl-repack_bench.log"
}

# Replay throughput and lock hold time from rpcl's log lines (the log is what an operator reads,
# so the benchmark reads it too). The lines it relies on:
#   debug, one per replay batch: "<table>: replayed N log rows (K keys...) in M ms, R rows/s"
#   info, one per catch-up:      "<table>: replayed N log rows in M ms (R rows/s)"
#   info, at the swap:           "<table>: swapped on attempt A: waited W ms for the lock, held it H ms, ..."
# Prints log_rows_replayed and log_replay_ms (summed over batches: time spent replaying),
# log_drain_rows and log_drain_ms (the largest catch-up, i.e. draining a backlog), log_lock_held_ms
# and log_lock_wait_ms.
rpcl_log_metrics() { # log file
    [ -f "$1" ] || return 0
    awk '
        function after(s, key,    i) { i = index(s, key); return i ? substr(s, i + length(key)) + 0 : -1 }
        / replayed [0-9]+ log rows \([0-9]+ keys/ { rows += after($0, " replayed "); ms += after($0, ") in ") }
        / replayed [0-9]+ log rows in [0-9]+ ms \(/ {
            n = after($0, " replayed ")
            if (n > drain) { drain = n; drain_ms = after($0, " log rows in ") }
        }
        / swapped on attempt [0-9]+:/ { held = after($0, "held it "); waited = after($0, "waited ") }
        END {
            if (rows > 0) printf "log_rows_replayed=%d\nlog_replay_ms=%d\n", rows, ms
            if (drain > 0) printf "log_drain_rows=%d\nlog_drain_ms=%d\n", drain, drain_ms
            if (held != "") printf "log_lock_held_ms=%d\nlog_lock_wait_ms=%d\n", held, waited
        }' "$1"
}

# rpcl's replay phase as epoch seconds "start end", from its log's time stamps: from the end of
# the index builds to the last readiness sample before the swap. The triggers are in place and
# no copy or index build competes for the machine, so the workload's throughput in this window
# against the baseline is the cost of the triggers plus the replay.
rpcl_replay_window() { # log file
    [ -f "$1" ] || return 0
    local from to
    from=$(grep -m 1 -E ': built [0-9]+ index\(es\) on the copy' "$1" | cut -c1-23 || true)
    to=$(grep -E ': over [0-9.]+ s [0-9]+ changes arrived' "$1" | tail -n 1 | cut -c1-23 || true)
    if [ -n "$from" ] && [ -n "$to" ]; then
        echo "$(date -d "$from" +%s.%N) $(date -d "$to" +%s.%N)"
    fi
}
