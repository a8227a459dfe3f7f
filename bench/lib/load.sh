# Background pgbench sessions (the probe and the write workload) and the analysis of their
# per-transaction logs. Sourced; expects PGHOST, PGPORT, OWNER, BENCH_DIR, MAXK, CUSTOMERS.

BG_PIDS=()

# Starts pgbench in the background in directory $1 with log prefix $2 against db $3; the rest
# are pgbench options. Sets LAST_PGBENCH_PID. It runs until stop_pgbench.
start_pgbench() {
    local dir=$1 name=$2 db=$3; shift 3
    (cd "$dir" && exec pgbench -n -h "$PGHOST" -p "$PGPORT" -U "$OWNER" -T 86400 \
        -D maxk="$MAXK" -D customers="$CUSTOMERS" -l --log-prefix="$name" "$@" "$db") \
        >"$dir/$name.out" 2>&1 &
    LAST_PGBENCH_PID=$!
    BG_PIDS+=("$LAST_PGBENCH_PID")
    sleep 1
    if ! kill -0 "$LAST_PGBENCH_PID" 2>/dev/null; then
        cat "$dir/$name.out" >&2
        die "pgbench $name did not start (see above)"
    fi
}

# pgbench has no clean way to stop early: a signal ends it without flushing its log buffer, so
# callers stop it a few seconds after the window they measure, when the lost tail no longer
# matters (measure_window checks that the log reaches past the window). SIGTERM, because
# background jobs of a shell without job control may ignore SIGINT.
stop_pgbench() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

probe_start() { # dir db
    start_pgbench "$1" probe "$2" -c 1 -j 1 -R "$PROBE_RATE" -f "$BENCH_DIR/pgbench/probe.sql"
    PROBE_PID=$LAST_PGBENCH_PID
}

workload_start() { # dir db kind(rate|max)
    local dir=$1 db=$2 kind=$3
    if [ "$kind" = rate ]; then
        # verified workload: every change mirrored into bench_shadow in the same transaction
        start_pgbench "$dir" workload "$db" -c "$CLIENTS" -j 1 -R "$RATE" \
            -f "$BENCH_DIR/pgbench/verified_update.sql@6" -f "$BENCH_DIR/pgbench/verified_insert.sql@2" \
            -f "$BENCH_DIR/pgbench/verified_delete.sql@2"
    else
        start_pgbench "$dir" workload "$db" -c "$CLIENTS" -j 1 \
            -f "$BENCH_DIR/pgbench/update.sql@6" -f "$BENCH_DIR/pgbench/insert.sql@2" \
            -f "$BENCH_DIR/pgbench/delete.sql@2"
    fi
    WORKLOAD_PID=$LAST_PGBENCH_PID
}

# Summarises the log of session $2 (probe|workload) in $1 over completions in [t0, t1];
# latencies over [t0, t1 + 1s]. Prints key=value lines (see window.awk) plus p99_ms and
# complete=yes|no (whether the log covers the whole window).
measure_window() {
    local dir=$1 name=$2 t0=$3 t1=$4 tmax logs stats=$1/$2.stats
    tmax=$(echo "$t1 + 1" | bc)
    logs=$(ls "$dir/$name".[0-9]* 2>/dev/null || true)
    [ -n "$logs" ] || { echo "tx=0"; echo "complete=no"; return; }
    # shellcheck disable=SC2086
    awk -v t0="$t0" -v t1="$t1" -v tmax="$tmax" -v latfile="$dir/$name.lat" \
        -f "$BENCH_DIR/lib/window.awk" $logs >"$stats"
    cat "$stats"
    if [ -s "$dir/$name.lat" ]; then
        sort -n "$dir/$name.lat" | awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "p99_ms=%.1f\n", v[i] }'
    else
        echo "p99_ms=0"
    fi
    rm -f "$dir/$name.lat"
    if [ "$(echo "$(kv "$stats" log_last) >= $t1" | bc)" = 1 ]; then
        echo "complete=yes"
    else
        echo "complete=no"
    fi
    if grep -qE 'aborted|error' "$dir/$name.out"; then
        echo "errors=$(grep -cE 'aborted|error' "$dir/$name.out")"
    else
        echo "errors=0"
    fi
}

kv() { # file key -> value
    sed -n "s/^$2=//p" "$1" | head -n 1
}
