-- The benchmark's bloated table, built once in the template database (as the owner role);
-- every contender starts from a copy of it (CREATE DATABASE ... TEMPLATE).
-- psql variables: total (rows inserted, 60% of them are then deleted), customers, idcol (the
-- key column's type: an identity column or bigserial).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE TABLE public.bench_customer (
    id   integer PRIMARY KEY,
    name text NOT NULL
);
INSERT INTO public.bench_customer SELECT g, 'customer ' || g FROM generate_series(1, :customers) g;

-- The table to repack: a generated key, an outgoing foreign key, a jsonb and a text column
-- (1% of the notes are long and incompressible so the table has TOAST data too).
CREATE TABLE public.bench_item (
    id          :idcol PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES public.bench_customer (id),
    status      smallint NOT NULL DEFAULT 0,
    amount      numeric(12,2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz,
    note        text,
    attrs       jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE public.bench_item IS 'rpcl benchmark: the bloated table every contender repacks';

INSERT INTO public.bench_item (id, customer_id, status, amount, created_at, updated_at, note, attrs)
SELECT g,
       1 + g % :customers,
       CASE WHEN g % 7 = 0 THEN 0 ELSE 1 + g % 3 END,
       (g % 100000) / 100.0,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       CASE WHEN g % 3 = 0 THEN timestamptz '2024-06-01 00:00:00+00' + g * interval '1 second' END,
       CASE WHEN g % 100 = 0
            THEN (SELECT string_agg(md5(g::text || '/' || i), '') FROM generate_series(1, 100) i)
            ELSE 'note ' || md5(g::text) END,
       jsonb_build_object('kind', (ARRAY['a', 'b', 'c', 'd'])[1 + g % 4], 'n', g,
                          'tags', jsonb_build_array(g % 10, g % 13))
FROM generate_series(1, :total) g;
SELECT setval(pg_get_serial_sequence('public.bench_item', 'id'), :total) AS identity_restart \gset

CREATE INDEX bench_item_customer_idx ON public.bench_item (customer_id);
CREATE INDEX bench_item_created_idx ON public.bench_item (created_at);
-- partial index
CREATE INDEX bench_item_open_idx ON public.bench_item (customer_id, created_at) WHERE status = 0;
-- expression index on the jsonb column
CREATE INDEX bench_item_kind_idx ON public.bench_item ((attrs ->> 'kind'));

CREATE VIEW public.bench_item_open AS
    SELECT id, customer_id, amount, created_at FROM public.bench_item WHERE status = 0;

-- 60% of the rows die; VACUUM turns them into free space inside the pages, which is the usual
-- shape of a bloated table: vacuumed, but never smaller.
DELETE FROM public.bench_item WHERE id % 5 < 3;

-- The shadow of (id, amount) that the verified workload keeps in the same transactions as its
-- changes to bench_item: after a repack under load both must still match row for row.
CREATE TABLE public.bench_shadow (
    id     bigint PRIMARY KEY,
    amount numeric(12,2) NOT NULL
);
INSERT INTO public.bench_shadow SELECT id, amount FROM public.bench_item;

