\set cust random(1, :customers)
WITH i AS (INSERT INTO public.bench_item (customer_id, status, amount, note, attrs)
               VALUES (:cust, 0, 1.00, 'inserted by the rpcl benchmark workload', '{"kind": "w", "n": 0}')
           RETURNING id, amount)
INSERT INTO public.bench_shadow (id, amount) SELECT id, amount FROM i;
