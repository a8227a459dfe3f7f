-- Same change as update.sql, mirrored into bench_shadow in the same statement (and transaction).
\set id 5 * random(0, :maxk) + 3 + random(0, 1)
WITH u AS (UPDATE public.bench_item SET amount = amount + 1, updated_at = now() WHERE id = :id
           RETURNING id, amount)
UPDATE public.bench_shadow s SET amount = u.amount FROM u WHERE s.id = u.id;
