-- The probe: an application session doing a small read and a small write on the table at a
-- fixed rate. Its worst latency is how long the repack blocked the application. The update
-- writes the value it reads, so the table's contents (and checksum) do not change.
\set id 5 * random(0, :maxk) + 3
SELECT amount, status FROM public.bench_item WHERE id = :id;
UPDATE public.bench_item SET status = status WHERE id = :id;
