-- count_stored_batch, cheaper in the common case: the batch's message ids are new to order_counts
-- (every exactly-once batch, and every at-least-once batch without a replay or a retry). Then a plain
-- INSERT counts them: no speculative insertion, no RETURNING. A message id counted before (a
-- duplicate stored again, or one committed meanwhile by another consumer) makes it fail with
-- unique_violation; the block's subtransaction rolls it back and the upsert of V5 counts the batch,
-- telling new ids from repeats as before. Same locks, in the same order (order_counts rows by
-- message_id, then orders_per_second, then order_totals). One backend: ~1.8 us less per stored order
-- (docs/results.md, "The database leg's own ceiling").
CREATE OR REPLACE FUNCTION count_stored_batch(stored_message_ids VARCHAR[], first_seen_messages BIGINT) RETURNS void AS $$
DECLARE
    stored   BIGINT := coalesce(cardinality(stored_message_ids), 0);
    new_ids  BIGINT;
BEGIN
    IF stored = 0 AND first_seen_messages = 0 THEN
        RETURN;  -- a batch of skipped duplicates: no counter moves, no lock taken
    END IF;
    BEGIN
        INSERT INTO order_counts (message_id, row_count)
        SELECT message_id, count(*) FROM unnest(stored_message_ids) AS r(message_id) GROUP BY message_id ORDER BY message_id;
        GET DIAGNOSTICS new_ids = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        WITH upserted AS (
            INSERT INTO order_counts AS c (message_id, row_count)
            SELECT message_id, count(*) FROM unnest(stored_message_ids) AS r(message_id) GROUP BY message_id ORDER BY message_id
            ON CONFLICT (message_id) DO UPDATE SET row_count = c.row_count + EXCLUDED.row_count
            RETURNING (xmax = 0) AS is_new
        )
        SELECT count(*) FILTER (WHERE is_new) INTO new_ids FROM upserted;
    END;
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
