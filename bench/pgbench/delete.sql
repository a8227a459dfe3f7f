\set id 5 * random(0, :maxk) + 3 + random(0, 1)
DELETE FROM public.bench_item WHERE id = :id;
