-- The GetStats counters (order_counts, orders_per_second, order_totals) are no longer kept by triggers
-- but by the consumer, once per poll batch, inside the batch's own transaction: one call of
-- count_stored_batch after its inserts. The triggers counted the same things from their transition
-- tables, twice per batch (one per table), and the processed_messages one locked the shared
-- order_totals row at the dedup insert, early in the transaction; now every counter row is locked by
-- the transaction's last statement only, until its commit. Counters stay exact: they commit or roll
-- back with the rows.
--
-- Every writer of orders and processed_messages must call count_stored_batch in the same transaction
-- (the consumer does; so do tests that write rows directly). Nothing else writes these tables.

DROP TRIGGER orders_counted ON orders;
DROP TRIGGER processed_messages_counted ON processed_messages;
DROP FUNCTION orders_count_inserted();
DROP FUNCTION processed_messages_count_inserted();

-- A batch's rows share one second in orders_per_second, so its counter update needs no read-back of
-- the rows: processed_at is when the batch's transaction began (it was the moment of each row's insert,
-- a few milliseconds apart within one batch).
ALTER TABLE orders ALTER COLUMN processed_at SET DEFAULT now();

-- stored_order_ids: the order_id of every row the transaction inserted into orders (repeats included);
-- first_seen_messages: how many rows it inserted into processed_messages.
-- Locks, in this fixed order in every transaction, so concurrent consumers queue and never deadlock:
-- order_counts rows by order_id, then the orders_per_second row, then the order_totals row. The
-- upserts see rows committed meanwhile (ON CONFLICT waits for the other transaction), so two
-- consumers storing the same new order id at once count it as distinct once.
CREATE FUNCTION count_stored_batch(stored_order_ids VARCHAR[], first_seen_messages BIGINT) RETURNS void AS $$
DECLARE
    stored   BIGINT := coalesce(cardinality(stored_order_ids), 0);
    new_ids  BIGINT;
BEGIN
    IF stored = 0 AND first_seen_messages = 0 THEN
        RETURN;  -- a batch of skipped duplicates: no counter moves, no lock taken
    END IF;
    WITH upserted AS (
        INSERT INTO order_counts AS c (order_id, row_count)
        SELECT order_id, count(*) FROM unnest(stored_order_ids) AS r(order_id) GROUP BY order_id ORDER BY order_id
        ON CONFLICT (order_id) DO UPDATE SET row_count = c.row_count + EXCLUDED.row_count
        RETURNING (xmax = 0) AS is_new
    )
    SELECT count(*) FILTER (WHERE is_new) INTO new_ids FROM upserted;
    IF stored > 0 THEN
        INSERT INTO orders_per_second AS s (second, rows)
        VALUES (date_trunc('second', now()), stored)
        ON CONFLICT (second) DO UPDATE SET rows = s.rows + EXCLUDED.rows;
    END IF;
    UPDATE order_totals
    SET total_rows = total_rows + stored, distinct_orders = distinct_orders + new_ids,
        processed_messages = processed_messages + first_seen_messages
    WHERE id = 1;
END;
$$ LANGUAGE plpgsql;
