-- Untrusted input and callers.
--
-- 1. One order is one message_id. An idempotency key belongs to its caller: the producer derives the
--    message_id from the customer AND the order_id (MessageIds.forClientKey), so the same order_id from two
--    customers is two orders, each with its own message_id. order_counts therefore counts rows per
--    message_id (a duplicate is the same message stored twice), not per order_id (which two customers may
--    share). count_stored_batch keeps its signature; its array now holds the stored rows' message ids.
DROP TABLE order_counts;
CREATE TABLE order_counts (
    message_id  VARCHAR(64) PRIMARY KEY,
    row_count   INT         NOT NULL
);
INSERT INTO order_counts (message_id, row_count) SELECT message_id, count(*) FROM orders GROUP BY message_id;
CREATE INDEX order_counts_duplicated_idx ON order_counts (message_id) WHERE row_count > 1;
UPDATE order_totals SET distinct_orders = (SELECT count(*) FROM order_counts) WHERE id = 1;

-- a parameter cannot be renamed by CREATE OR REPLACE
DROP FUNCTION count_stored_batch(VARCHAR[], BIGINT);
CREATE FUNCTION count_stored_batch(stored_message_ids VARCHAR[], first_seen_messages BIGINT) RETURNS void AS $$
DECLARE
    stored   BIGINT := coalesce(cardinality(stored_message_ids), 0);
    new_ids  BIGINT;
BEGIN
    IF stored = 0 AND first_seen_messages = 0 THEN
        RETURN;  -- a batch of skipped duplicates: no counter moves, no lock taken
    END IF;
    WITH upserted AS (
        INSERT INTO order_counts AS c (message_id, row_count)
        SELECT message_id, count(*) FROM unnest(stored_message_ids) AS r(message_id) GROUP BY message_id ORDER BY message_id
        ON CONFLICT (message_id) DO UPDATE SET row_count = c.row_count + EXCLUDED.row_count
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

-- 2. Dead letters of the PostgreSQL leg live beside the rows: a record that cannot be stored for a reason
--    that will not change (undecodable, breaks the order contract, SQLSTATE class 22/23 outside the dedup
--    path, simulated failures past max_attempts) is written here IN THE SAME TRANSACTION as the batch's
--    rows and stored offsets, so it is dead-lettered exactly when its offset moves. Unique per Kafka
--    position: a replayed batch (at-least-once after a crash) records it once. Values are kept as bytes:
--    what could not be stored as text is still kept whole.
CREATE TABLE dead_letters (
    id               BIGSERIAL    PRIMARY KEY,
    kafka_partition  INT          NOT NULL,
    kafka_offset     BIGINT       NOT NULL,
    -- the record's message id when it had a readable one (the audit matches on it), else NULL
    message_id       VARCHAR(64),
    reason           TEXT         NOT NULL,
    attempts         INT          NOT NULL,
    record_key       BYTEA,
    record_value     BYTEA,
    processing_mode  VARCHAR(16)  NOT NULL,
    consumer_id      VARCHAR(128) NOT NULL,
    dead_lettered_at TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (kafka_partition, kafka_offset)
);
CREATE INDEX dead_letters_message_id_idx ON dead_letters (message_id);

-- 3. A retention gap: the group's next offset was below the partition's log start (the records were
--    deleted by retention before this group read them). The consumer never skips them silently
--    (auto.offset.reset=none): it records the gap here, then resumes at the log start.
--    [from_offset, to_offset) were never read.
CREATE TABLE retention_gaps (
    id               BIGSERIAL    PRIMARY KEY,
    consumer_group   VARCHAR(255) NOT NULL,
    kafka_partition  INT          NOT NULL,
    from_offset      BIGINT       NOT NULL,
    to_offset        BIGINT       NOT NULL,
    detected_at      TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp()
);
