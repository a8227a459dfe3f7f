# Summarises pgbench per-transaction logs (-l) over a time window.
# Input lines: client_id transaction_no time_us script_no time_epoch time_us [schedule_lag ...]
# where time_epoch.time_us is when the transaction completed. With --rate the latency is measured
# from the scheduled start, so a session that was blocked shows the whole wait.
# Variables: t0, t1 (epoch seconds, window of completions counted for throughput),
#            tmax (latencies are taken from completions in [t0, tmax]: a transaction blocked by
#            the repack completes a moment after the repack's command returns).
# Prints key=value lines; latencies in milliseconds.
NF >= 6 && $1 ~ /^[0-9]+$/ {
    done = $5 + $6 / 1000000.0
    if (done > last) last = done
    if (first == 0 || done < first) first = done
    lat = $3 / 1000.0
    if (done >= t0 && done <= t1) { n++; sum += lat; by_script[$4]++ }
    if (done >= t0 && done <= tmax) {
        if (lat > max) max = lat
        if (lat > 50) over50++
        if (lat > 1000) over1s++
        print lat > latfile
    }
}
END {
    span = t1 - t0
    printf "tx=%d\n", n
    printf "tps=%.1f\n", (span > 0 ? n / span : 0)
    printf "avg_ms=%.2f\n", (n > 0 ? sum / n : 0)
    printf "max_ms=%.1f\n", max
    printf "over50ms=%d\n", over50
    printf "over1s=%d\n", over1s
    printf "log_first=%.3f\n", first
    printf "log_last=%.3f\n", last
    for (s in by_script) printf "script%s_tx=%d\n", s, by_script[s]
}
