\set id 5 * random(0, :maxk) + 3 + random(0, 1)
WITH d AS (DELETE FROM public.bench_item WHERE id = :id RETURNING id)
DELETE FROM public.bench_shadow s USING d WHERE s.id = d.id;
