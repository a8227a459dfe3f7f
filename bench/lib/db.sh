# Database helpers for scripts/bench: psql wrappers, the owner role, the template and the
# per-run databases. Sourced; expects PGHOST, PGPORT, SUPERUSER, OWNER, TEMPLATE_DB, BENCH_DIR.

su_psql() { # db, psql args...
    local db=$1; shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$SUPERUSER" -d "$db" "$@"
}

owner_psql() { # db, psql args...
    local db=$1; shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$OWNER" -d "$db" "$@"
}

su_value() { # db, sql -> one value
    su_psql "$1" -Atc "$2"
}

owner_value() { # db, sql -> one value
    owner_psql "$1" -Atc "$2"
}

# Databases this run created, dropped again by cleanup.
CREATED_DBS=()

drop_db() {
    su_psql postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

create_owner_role() {
    if [ "$(su_value postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$OWNER'")" = 1 ]; then
        say "dropping role $OWNER and databases ${DB_PREFIX}_* left by an earlier run"
        drop_leftovers
    fi
    # The application's role: it owns the tables, and is NOT a superuser (rpcl must not need one).
    su_psql postgres -c "CREATE ROLE \"$OWNER\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
}

drop_leftovers() {
    local db
    for db in $(su_value postgres "SELECT datname FROM pg_database WHERE datname LIKE '${DB_PREFIX}\\_%'"); do
        drop_db "$db"
    done
    su_psql postgres -c "DROP ROLE IF EXISTS \"$OWNER\""
}

build_template() { # total rows inserted, customers
    local total=$1 customers=$2
    CREATED_DBS+=("$TEMPLATE_DB")
    su_psql postgres -c "CREATE DATABASE \"$TEMPLATE_DB\" OWNER \"$OWNER\""
    owner_psql "$TEMPLATE_DB" -v total="$total" -v customers="$customers" -f "$BENCH_DIR/sql/template.sql"
    owner_psql "$TEMPLATE_DB" -c "VACUUM ANALYZE public.bench_customer, public.bench_item, public.bench_shadow"
    su_psql "$TEMPLATE_DB" -c "CHECKPOINT"
}

# A fresh copy of the template for one run, owned by the owner role (so it may create schemas).
create_run_db() {
    CREATED_DBS+=("$1")
    su_psql postgres -c "CREATE DATABASE \"$1\" TEMPLATE \"$TEMPLATE_DB\" OWNER \"$OWNER\""
}

# heap|indexes|toast|total bytes of bench_item
table_sizes() {
    owner_value "$1" "SELECT pg_relation_size(c.oid) || '|' || pg_indexes_size(c.oid) || '|'
                             || coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) || '|'
                             || pg_total_relation_size(c.oid)
                      FROM pg_class c WHERE c.oid = 'public.bench_item'::regclass"
}

# How much of the template's table is wasted: pgstattuple (contrib, superuser) when installed,
# else an estimate from the statistics. Prints "method|live_pct|dead_pct|free_pct".
measure_bloat() {
    if [ "$(su_value "$1" "SELECT count(*) FROM pg_available_extensions WHERE name = 'pgstattuple'")" = 1 ]; then
        su_psql "$1" -c "CREATE EXTENSION IF NOT EXISTS pgstattuple"
        su_value "$1" "SELECT 'pgstattuple|' || tuple_percent || '|' || dead_tuple_percent || '|' || free_percent
                       FROM pgstattuple('public.bench_item')"
        su_psql "$1" -c "DROP EXTENSION pgstattuple"
    else
        # live bytes ~ rows * (sum of average column widths + tuple header + line pointer)
        su_value "$1" "SELECT 'estimate|' || round(100.0 * live / size, 2) || '|0|' || round(100 - 100.0 * live / size, 2)
                       FROM (SELECT c.reltuples * (28 + (SELECT sum(avg_width) FROM pg_stats
                                    WHERE schemaname = 'public' AND tablename = 'bench_item')) AS live,
                                    pg_relation_size(c.oid)::numeric AS size
                             FROM pg_class c WHERE c.oid = 'public.bench_item'::regclass) s"
    fi
}

# Row-level fingerprint of bench_item: count and a sum of per-row hashes.
table_checksum() {
    owner_value "$1" "SELECT count(*) || '/' || coalesce(sum(hashtextextended(t::text, 0)), 0)
                      FROM public.bench_item t"
}

# Rows where bench_item and the shadow kept by the verified workload disagree, plus duplicate ids.
shadow_mismatches() {
    owner_value "$1" "SELECT (SELECT count(*) FROM public.bench_item i FULL JOIN public.bench_shadow s USING (id)
                              WHERE i.amount IS DISTINCT FROM s.amount)
                           + (SELECT count(*) - count(DISTINCT id) FROM public.bench_item)"
}

# Duplicate ids (seen through a sequential scan, not the index) plus rows whose customer is gone.
integrity_errors() {
    owner_value "$1" "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
                      SELECT (SELECT count(*) - count(DISTINCT id) FROM public.bench_item)
                           + (SELECT count(*) FROM public.bench_item i
                              WHERE NOT EXISTS (SELECT 1 FROM public.bench_customer c WHERE c.id = i.customer_id))" \
        | tail -n 1
}

# amcheck of every index of bench_item, heapallindexed: prints "ok" or the error.
index_check() {
    if [ "$(su_value "$1" "SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'")" != 1 ]; then
        echo "n/a"
        return
    fi
    local out
    if out=$(su_psql "$1" -Atc "CREATE EXTENSION IF NOT EXISTS amcheck;
                                SELECT count(bt_index_check(indexrelid, true)) FROM pg_index
                                WHERE indrelid = 'public.bench_item'::regclass" 2>&1); then
        echo "ok"
    else
        echo "FAILED: $(echo "$out" | tr '\n' ' ')"
    fi
}

# Schema-only dump without rpcl's helper schemas and pg_repack's schema.
schema_dump() { # db, file
    # \restrict lines carry a random key that differs in every dump (PostgreSQL 15.14 and later)
    pg_dump -h "$PGHOST" -p "$PGPORT" -U "$SUPERUSER" --schema-only \
        --exclude-schema='sch_rep*' --exclude-schema=repack "$1" | grep -vE '^\\(un)?restrict ' >"$2"
}
