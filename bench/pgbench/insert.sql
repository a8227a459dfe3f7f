\set cust random(1, :customers)
INSERT INTO public.bench_item (customer_id, status, amount, note, attrs)
    VALUES (:cust, 0, 1.00, 'inserted by the rpcl benchmark workload', '{"kind": "w", "n": 0}');
