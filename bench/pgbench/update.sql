\set id 5 * random(0, :maxk) + 3 + random(0, 1)
UPDATE public.bench_item SET amount = amount + 1, updated_at = now() WHERE id = :id;
