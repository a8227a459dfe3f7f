# Renders the results collected in R (R[run|field]) as bench/results/<stamp>.md and .csv and
# prints the markdown. Sourced by scripts/bench.

CSV_FIELDS=(scenario contender status exit wall_s size_before size_after size_heap size_indexes size_toast
    probe_max_ms probe_p99_ms probe_over50 probe_errors wl_tps wl_avg_ms wl_p99_ms wl_max_ms wl_errors
    data_ok schema_same amcheck prepare_s backlog cost_windows cost_off_tps cost_on_tps replay_phase_s replay_phase_tps rpcl_rows_copied rpcl_rows_replayed rpcl_lock_held_ms
    rpcl_lock_attempts rpcl_log_rows_replayed rpcl_log_replay_ms rpcl_log_drain_rows rpcl_log_drain_ms
    rpcl_log_lock_wait_ms rpcl_log_lock_held_ms rpcl_timings)

human() { # bytes -> MB
    [ -n "$1" ] || { echo "-"; return; }
    awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'
}

num() { # value [decimals] -> formatted, "-" when empty
    [ -n "$1" ] || { echo "-"; return; }
    printf "%.${2:-1}f" "$1"
}

ratio() { # a b -> a/b with 2 decimals, "-" when either is missing
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(calc "$2 == 0")" = 1 ]; then echo "-"; return; fi
    printf "%.2f" "$(calc "$1 / $2")"
}

pct() { # a b -> 100*a/b %
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(calc "$2 == 0")" = 1 ]; then echo "-"; return; fi
    printf "%.1f%%" "$(calc "100 * $1 / $2")"
}

# The throughput the full-speed workload reaches without any repack: mean of the baselines.
baseline_max_tps() {
    local a b
    a=$(get_r max_none wl_tps)
    b=$(get_r max_none_end wl_tps)
    if [ -n "$a" ] && [ -n "$b" ]; then calc "($a + $b) / 2"; else echo "${a:-$b}"; fi
}

# Replay rate of an rpcl run, rows/s from its log: draining the largest backlog in one catch-up
# ("drain"), and over all replay batches together ("batches", time spent inside batches only).
replay_rate() { # run [drain|batches]
    local rows ms
    if [ "${2:-drain}" = drain ]; then
        rows=$(get_r "$1" rpcl_log_drain_rows); ms=$(get_r "$1" rpcl_log_drain_ms)
    else
        rows=$(get_r "$1" rpcl_log_rows_replayed); ms=$(get_r "$1" rpcl_log_replay_ms)
    fi
    if [ -n "$rows" ] && [ -n "$ms" ] && [ "$(calc "$ms > 0")" = 1 ]; then
        calc "$rows * 1000 / $ms"
    fi
}

ok_r() { # run field -> the value, only when the repack command succeeded (exit 0); whether it
         # left everything intact is a target of its own
    [ "$(get_r "$1" exit)" = 0 ] && get_r "$1" "$2"
    return 0
}

lock_held() { # run -> ms, from the state table, else from the log
    local v
    v=$(get_r "$1" rpcl_lock_held_ms)
    echo "${v:-$(get_r "$1" rpcl_log_lock_held_ms)}"
}

# The idle runs of a contender: the first round's, then those of --repeat.
idle_runs() { # contender
    local run
    for run in "${RUNS[@]}"; do
        [ "$(get_r "$run" scenario)" = idle ] && [ "$(get_r "$run" contender)" = "$1" ] && echo "$run"
    done
}

# Median and range of a field over a contender's successful idle runs (one run: its value).
idle_stat() { # contender field median|min|max
    local run v values=()
    for run in $(idle_runs "$1"); do
        if [ "$2" = rpcl_lock_held_ms ]; then v=$(lock_held "$run"); else v=$(ok_r "$run" "$2"); fi
        [ "$(get_r "$run" exit)" = 0 ] && [ -n "$v" ] && values+=("$v")
    done
    [ "${#values[@]}" -gt 0 ] || return 0
    printf '%s\n' "${values[@]}" | sort -g | awk -v what="$3" '{ v[NR] = $1 }
        END { if (what == "min") print v[1]; else if (what == "max") print v[NR];
              else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

idle_range() { # contender field -> "median (min-max)"
    local m
    m=$(idle_stat "$1" "$2" median)
    [ -n "$m" ] || { echo "-"; return; }
    echo "$(num "$m") ($(num "$(idle_stat "$1" "$2" min)")-$(num "$(idle_stat "$1" "$2" max)"))"
}

machine_section() {
    local settings
    settings=$(su_value postgres "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name)
        FROM pg_settings WHERE name IN ('shared_buffers', 'maintenance_work_mem', 'work_mem', 'max_wal_size',
        'synchronous_commit', 'fsync', 'max_parallel_maintenance_workers', 'autovacuum', 'wal_level')")
    echo "## Machine and parameters"
    echo
    echo "- CPU: $(nproc) x $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); memory $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); $(uname -sr)"
    echo "- Load average (1, 5, 15 min) when the run started: $LOAD_START; when it ended: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the machine)"
    echo "- PostgreSQL: $(su_value postgres "SELECT version()" | cut -d, -f1), on $PGHOST:$PGPORT; $settings"
    echo "- rpcl: ${RPCL_JAR:-$(cd "$ROOT_DIR" && git describe --always --dirty 2>/dev/null || echo unknown)} ($(REPCLOUD_HOME="$RPCL_HOME" "$ROOT_DIR/scripts/rpcl" --version 2>/dev/null | head -n 1 || echo "no jar")), run as the non-superuser $OWNER with --debug; settings: ${RPCL_SETTINGS[*]:-defaults}"
    has "$CONTENDERS" rpcl_base && echo "- rpcl, base build: $RPCL_BASE_JAR ($(RPCL_JAR=$RPCL_BASE_JAR "$ROOT_DIR/scripts/rpcl" --version 2>/dev/null | head -n 1)), run the same way"
    echo "- pg_repack: $(pg_repack --version 2>/dev/null || echo "not installed"), run as $SUPERUSER ${PG_REPACK_ARGS:+with $PG_REPACK_ARGS}"
    echo "- VACUUM FULL: \`VACUUM (FULL, ANALYZE)\` as $OWNER (rpcl and pg_repack analyze too)"
    echo "- Probe: 1 session at $PROBE_RATE tps, a primary-key SELECT and UPDATE per transaction"
    echo "- Workload: $CLIENTS sessions, 60% updates, 20% inserts, 20% deletes of single rows; rate scenario at $RATE tps with every change mirrored into a shadow table; baselines and triggers window $DURATION s"
    echo
    echo "## The table"
    echo
    echo "public.bench_item: $TEMPLATE_ROWS live rows ($TOTAL inserted, 60% deleted, then VACUUM), $ID_KIND primary key,"
    echo "4 secondary indexes (one partial, one on a jsonb expression), a foreign key, a view, jsonb and text"
    echo "(1% TOAST) columns. Heap $(human "$(cut -d'|' -f1 <<<"$TEMPLATE_SIZES")"), indexes $(human "$(cut -d'|' -f2 <<<"$TEMPLATE_SIZES")"),"
    echo "TOAST $(human "$(cut -d'|' -f3 <<<"$TEMPLATE_SIZES")"), total $(human "$(cut -d'|' -f4 <<<"$TEMPLATE_SIZES")")."
    IFS='|' read -r method live dead free <<<"$TEMPLATE_BLOAT"
    echo "Heap measured with $method: $live% live tuples, $dead% dead tuples, $free% free space,"
    echo "so $(printf "%.1f" "$(calc "100 - $live")")% of the heap is wasted. Built in $(fmt "$TEMPLATE_BUILD_S") s."
    echo
}

contender_rows() { # scenario -> the runs of that scenario, baseline first
    local run
    for run in "${RUNS[@]}"; do
        [ "$(get_r "$run" scenario)" = "$1" ] && echo "$run"
    done
}

idle_section() {
    local run vf
    vf=$(idle_stat vacuum_full wall_s median)
    echo "## 1. Repack of the table while only the probe runs"
    echo
    echo "| contender | status | wall time s | vs VACUUM FULL | size after | of before | probe worst ms | probe p99 ms | probe > 50 ms | rows intact | schema intact | indexes (amcheck) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    for run in $(contender_rows idle); do
        if [ "$(get_r "$run" contender)" = none ]; then
            echo "| $(contender_label none), $DURATION s | | | | | | $(num "$(get_r "$run" probe_max_ms)") | $(num "$(get_r "$run" probe_p99_ms)") | $(get_r "$run" probe_over50) | | | |"
            continue
        fi
        local label
        label=$(contender_label "$(get_r "$run" contender)")
        [[ $run =~ _r([0-9]+)$ ]] && label="$label (run ${BASH_REMATCH[1]})"
        echo "| $label | $(get_r "$run" status) | $(num "$(get_r "$run" wall_s)") | $(ratio "$(get_r "$run" wall_s)" "$vf") | $(human "$(get_r "$run" size_after)") | $(pct "$(get_r "$run" size_after)" "$(get_r "$run" size_before)") | $(num "$(get_r "$run" probe_max_ms)") | $(num "$(get_r "$run" probe_p99_ms)") | $(get_r "$run" probe_over50) | $(get_r "$run" data_ok) | $(get_r "$run" schema_same) | $(get_r "$run" amcheck) |"
    done
    echo
    [ "$REPEAT" -gt 1 ] || return 0
    echo "Median (min-max) of the $REPEAT runs of each contender; \"vs VACUUM FULL\" above and the idle"
    echo "targets below use the medians."
    echo
    echo "| contender | wall time s | probe worst ms | probe p99 ms | lock held ms |"
    echo "|---|---:|---:|---:|---:|"
    local c
    for c in ${CONTENDERS//,/ }; do
        echo "| $(contender_label "$c") | $(idle_range "$c" wall_s) | $(idle_range "$c" probe_max_ms) | $(idle_range "$c" probe_p99_ms) | $([[ $c == rpcl* ]] && idle_range "$c" rpcl_lock_held_ms) |"
    done
    echo
}

load_section() { # scenario title
    local run base
    base=$(get_r "$1"_none wl_tps)
    [ "$1" = max ] && base=$(baseline_max_tps)
    echo "## $2"
    echo
    echo "| contender | status | wall time s | workload tps | of baseline | workload avg ms | p99 ms | worst ms | probe worst ms | rows intact | schema intact | indexes (amcheck) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
    for run in $(contender_rows "$1"); do
        local label
        label=$(contender_label "$(get_r "$run" contender)")
        [ "$run" = max_none_end ] && label="$label, again at the end"
        [ "$(get_r "$run" contender)" = none ] && label="$label, $DURATION s"
        echo "| $label | $(get_r "$run" status) | $(num "$(get_r "$run" wall_s)") | $(num "$(get_r "$run" wl_tps)") | $(pct "$(get_r "$run" wl_tps)" "$base") | $(num "$(get_r "$run" wl_avg_ms)" 2) | $(num "$(get_r "$run" wl_p99_ms)") | $(num "$(get_r "$run" wl_max_ms)") | $(num "$(get_r "$run" probe_max_ms)") | $(get_r "$run" data_ok) | $(get_r "$run" schema_same) | $(get_r "$run" amcheck) |"
    done
    echo
}

rpcl_section() {
    local run any=no
    for run in "${RUNS[@]}"; do [[ $(get_r "$run" contender) == rpcl* ]] && any=yes; done
    [ "$any" = yes ] || return 0
    echo "## 4. rpcl's own numbers"
    echo
    local t=triggers_rpcl
    if [ -n "$(get_r $t scenario)" ] && [ -z "$(get_r $t wl_tps)" ]; then
        echo "Triggers run: $(get_r $t status)"
        echo
    elif [ -n "$(get_r $t scenario)" ]; then
        echo "Triggers in place (after \`prepare_repack\`, $(num "$(get_r $t prepare_s)") s): the full-speed workload ran at"
        echo "$(num "$(get_r $t wl_tps)") tps, $(pct "$(get_r $t wl_tps)" "$(baseline_max_tps)") of the baseline's $(num "$(baseline_max_tps)") tps"
        echo "(avg $(num "$(get_r $t wl_avg_ms)" 2) ms, worst $(num "$(get_r $t wl_max_ms)") ms). It left a backlog of $(get_r $t backlog) change-log rows;"
        echo "\`repack_tables\` then replayed it and swapped in $(num "$(get_r $t wall_s)") s: $(get_r $t status)."
        echo
    fi
    if [ -n "$(get_r $t cost_on_tps)" ]; then
        echo "The triggers' cost, in alternating windows of one full-speed workload on the prepared table"
        echo "($(get_r $t cost_windows) each way, triggers disabled then enabled): $(num "$(get_r $t cost_on_tps)") tps with them,"
        echo "$(num "$(get_r $t cost_off_tps)") tps without: $(pct "$(get_r $t cost_on_tps)" "$(get_r $t cost_off_tps)")."
        echo
    fi
    if [ -n "$(get_r max_rpcl replay_phase_tps)" ]; then
        echo "Replay phase of the full-speed run (triggers in place, replay running, copy and indexes done;"
        echo "$(num "$(get_r max_rpcl replay_phase_s)") s from rpcl's log): the workload ran at $(num "$(get_r max_rpcl replay_phase_tps)") tps,"
        echo "$(pct "$(get_r max_rpcl replay_phase_tps)" "$(baseline_max_tps)") of the baseline's $(num "$(baseline_max_tps)") tps."
        echo
    fi
    echo "| run | status | rows copied | rows replayed | largest catch-up: rows | ms | rows/s | all batches: rows/s | lock wait ms | lock held ms | lock attempts | step timings ms |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for run in "${RUNS[@]}"; do
        [[ $(get_r "$run" contender) == rpcl* ]] || continue
        echo "| $run | $(get_r "$run" status) | $(get_r "$run" rpcl_rows_copied) | $(get_r "$run" rpcl_rows_replayed) | $(get_r "$run" rpcl_log_drain_rows) | $(get_r "$run" rpcl_log_drain_ms) | $(num "$(replay_rate "$run")" 0) | $(num "$(replay_rate "$run" batches)" 0) | $(get_r "$run" rpcl_log_lock_wait_ms) | $(lock_held "$run") | $(get_r "$run" rpcl_lock_attempts) | \`$(get_r "$run" rpcl_timings)\` |"
    done
    echo
}

# The replay rates (rows/s of the largest catch-up) of a build's successful replay runs, one a line.
replay_rates() { # contender
    local run
    for run in "${RUNS[@]}"; do
        [ "$(get_r "$run" scenario)" = replay ] && [ "$(get_r "$run" contender)" = "$1" ] && [ "$(get_r "$run" status)" = ok ] \
            && replay_rate "$run"
    done
    return 0
}

# Median, min and max of numbers on standard input: "median min max", nothing when there are none.
median_min_max() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}

replay_section() {
    [ -n "$(contender_rows replay)" ] || [ -n "${REPLAY_BACKLOG:-}" ] || return 0
    echo "## 5. One backlog replayed by each build"
    echo
    echo "A backlog of ${REPLAY_BACKLOG:-?} change-log rows (\`prepare_repack\` by rpcl, then the full-speed workload for"
    echo "$DURATION s), replayed and swapped by \`repack_tables\` from a copy of the same database, each build in turn."
    echo
    echo "| run | status | wall time s | largest catch-up: rows | ms | rows/s | lock held ms | rows intact | schema intact | indexes (amcheck) |"
    echo "|---|---|---:|---:|---:|---:|---:|---|---|---|"
    local run c m med lo hi
    for run in $(contender_rows replay); do
        echo "| $run | $(get_r "$run" status) | $(num "$(get_r "$run" wall_s)") | $(get_r "$run" rpcl_log_drain_rows) | $(get_r "$run" rpcl_log_drain_ms) | $(num "$(replay_rate "$run")" 0) | $(lock_held "$run") | $(get_r "$run" data_ok) | $(get_r "$run" schema_same) | $(get_r "$run" amcheck) |"
    done
    echo
    for c in rpcl rpcl_base; do
        m=$(replay_rates "$c" | median_min_max)
        [ -n "$m" ] || continue
        read -r med lo hi <<<"$m"
        echo "- $(contender_label "$c"): median $(num "$med" 0) rows/s ($(num "$lo" 0)-$(num "$hi" 0))"
    done
    local a b
    a=$(replay_rates rpcl | median_min_max | cut -d' ' -f1); b=$(replay_rates rpcl_base | median_min_max | cut -d' ' -f1)
    [ -n "$a" ] && [ -n "$b" ] && echo "- rpcl against the base build, medians: $(ratio "$a" "$b")x"
    echo
}

verdict() { # condition-result(1|0|"") text
    case $1 in
        1) echo "- achieved: $2" ;;
        0) echo "- MISSED: $2" ;;
        *) echo "- not measured (a contender is missing or failed): $2" ;;
    esac
}

cmp() { # expression over numbers, "" when a number is missing
    local e=$1; shift
    local v
    for v in "$@"; do [ -n "$v" ] || { echo ""; return; }; done
    calc "$e"
}

targets_section() {
    local rw vw pw rs
    rw=$(idle_stat rpcl wall_s median); vw=$(idle_stat vacuum_full wall_s median); pw=$(idle_stat pg_repack wall_s median)
    local of=""
    [ "$REPEAT" -gt 1 ] && of=", medians of $REPEAT runs"
    echo "## Targets (2-core machine)"
    echo
    local bad="" run
    for run in "${RUNS[@]}"; do
        [ "$(get_r "$run" contender)" = none ] && continue
        [ "$(get_r "$run" status)" = ok ] || bad+=" $run ($(get_r "$run" status));"
    done
    if [ -z "$bad" ]; then
        verdict 1 "every repack completed and left the rows, the schema and the indexes intact"
    else
        verdict 0 "every repack completed and left the rows, the schema and the indexes intact; not so for:${bad%;}"
    fi
    verdict "$(cmp "$rw <= $vw" "$rw" "$vw")" "rpcl's wall time at most 1.0x VACUUM FULL's (idle$of): $(ratio "$rw" "$vw")x ($(num "$rw") s vs $(num "$vw") s)"
    verdict "$(cmp "$rw < $pw" "$rw" "$pw")" "rpcl's wall time below pg_repack's (idle$of): $(ratio "$rw" "$pw")x ($(num "$rw") s vs $(num "$pw") s)"
    local s
    for s in idle rate max; do
        local a b
        a=$(ok_r "${s}_rpcl" probe_max_ms); b=$(ok_r "${s}_pg_repack" probe_max_ms)
        local w=$s
        if [ "$s" = idle ]; then
            a=$(idle_stat rpcl probe_max_ms median); b=$(idle_stat pg_repack probe_max_ms median); w="idle$of"
        fi
        verdict "$(cmp "$a <= $b" "$a" "$b")" "probe's worst latency during rpcl no worse than during pg_repack ($w): $(num "$a") ms vs $(num "$b") ms"
    done
    local worst=""
    for s in "${RUNS[@]}"; do
        [ "$(get_r "$s" contender)" = rpcl ] && [ "$(get_r "$s" exit)" = 0 ] || continue
        local h
        h=$(lock_held "$s")
        [ -n "$h" ] || continue
        if [ -z "$worst" ] || [ "$(calc "$h > $worst")" = 1 ]; then worst=$h; fi
    done
    verdict "$(cmp "$worst < 50" "$worst")" "exclusive lock at the swap held under 50 ms: worst $(num "$worst") ms over the rpcl runs"
    local tt base what
    if [ -n "$(get_r triggers_rpcl cost_on_tps)" ]; then
        # the alternating windows first: the other two compare with baselines run at other times
        tt=$(get_r triggers_rpcl cost_on_tps); base=$(get_r triggers_rpcl cost_off_tps)
        what="alternating windows, $(get_r triggers_rpcl cost_windows) each way"
    elif [ -n "$(ok_r triggers_rpcl wl_tps)" ]; then
        tt=$(ok_r triggers_rpcl wl_tps); base=$(baseline_max_tps); what="after prepare_repack, $DURATION s"
    else
        tt=$(ok_r max_rpcl replay_phase_tps); base=$(baseline_max_tps)
        what="during the replay phase of the full-speed run, replay running too"
    fi
    verdict "$(cmp "$tt >= 0.95 * $base" "$tt" "$base")" "workload throughput with rpcl's triggers in place at least 95% of without: $(pct "$tt" "$base") ($what)"
    rs=$(replay_rates rpcl | median_min_max | cut -d' ' -f1)
    if [ -n "$rs" ]; then
        verdict "$(cmp "$rs >= 200000" "$rs")" "replay at least 200,000 logged changes per second: $(num "$rs" 0) rows/s replaying a backlog of ${REPLAY_BACKLOG} rows (median of the replay runs)"
    else
        local rrun=triggers_rpcl
        [ "$(get_r $rrun exit)" = 0 ] || rrun=max_rpcl
        [ "$(get_r $rrun exit)" = 0 ] && rs=$(replay_rate $rrun)
        verdict "$(cmp "$rs >= 200000" "$rs")" "replay at least 200,000 logged changes per second: $(num "$rs" 0) rows/s draining a backlog of $(get_r $rrun rpcl_log_drain_rows) rows ($rrun)"
    fi
    echo
}

write_reports() {
    local md=$RESULTS_DIR/$STAMP.md csv=$RESULTS_DIR/$STAMP.csv
    {
        echo "# rpcl benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo
        echo "\`scripts/bench --rows $ROWS --contenders $CONTENDERS --scenarios $SCENARIOS --duration $DURATION --rate $RATE --clients $CLIENTS --repeat $REPEAT --id $ID_KIND$(has "$CONTENDERS" rpcl_chunked && echo " --copy-chunk $COPY_CHUNK")$(printf ' --rpcl-setting %s' "${RPCL_SETTINGS[@]}" | sed 's/^ --rpcl-setting $//')\`"
        echo
        machine_section
        has "$SCENARIOS" idle && idle_section
        has "$SCENARIOS" rate && load_section rate "2. Repack under a verified write workload at $RATE tps"
        has "$SCENARIOS" max && load_section max "3. Repack under a full-speed write workload"
        rpcl_section
        replay_section
        targets_section
        echo "Wall time: the repack command from start to exit. Probe worst: the longest a"
        echo "one-row SELECT+UPDATE transaction took (from its scheduled start) while the command ran."
        echo "Rows intact: idle, the same count and row hashes before and after; rate, every row matches"
        echo "the shadow table the workload kept in the same transactions; max, no duplicate ids and no"
        echo "orphaned foreign keys. Schema intact: \`pg_dump --schema-only\` identical before and after."
    } >"$md"
    {
        local IFS=,
        echo "stamp,run,${CSV_FIELDS[*]}"
        local run f line
        for run in "${RUNS[@]}"; do
            line="$STAMP,$run"
            for f in "${CSV_FIELDS[@]}"; do
                local v
                v=$(get_r "$run" "$f")
                line+=",\"${v//\"/\"\"}\""
            done
            echo "$line"
        done
    } >"$csv"
    cat "$md"
    say "wrote $md and $csv"
}
