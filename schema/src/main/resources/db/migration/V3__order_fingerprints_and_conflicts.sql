-- Idempotency keys end to end. A client-supplied order_id gives every attempt of that order the same
-- message_id, so processed_messages absorbs retries. A key reused for a DIFFERENT order must not be
-- taken for a retry: the dedup row keeps a fingerprint of the order's content (SHA-256 over customer_id,
-- items, total_amount; see OrderFingerprint.java), and a record whose message_id is known but whose
-- fingerprint differs is recorded here instead of being stored or skipped.

-- NULL for rows stored before this migration: nothing to compare, such a repeat counts as a duplicate
ALTER TABLE processed_messages ADD COLUMN fingerprint BYTEA;

-- One row per refused record, written in the same transaction as the dedup insert that found it. The
-- offered order is kept whole: refused, not dropped. Unique per Kafka position, so a replayed batch
-- (at-least-once after a crash, or a zombie's retry) records its conflict once.
CREATE TABLE order_conflicts (
    id                   BIGSERIAL      PRIMARY KEY,
    message_id           VARCHAR(64)    NOT NULL,
    order_id             VARCHAR(64)    NOT NULL,
    -- the fingerprint of the order stored first under this key, and of the one refused
    stored_fingerprint   BYTEA          NOT NULL,
    offered_fingerprint  BYTEA          NOT NULL,
    -- where the refused record is in topic orders
    kafka_partition      INT            NOT NULL,
    kafka_offset         BIGINT         NOT NULL,
    customer_id          VARCHAR(64)    NOT NULL,
    items                JSONB          NOT NULL,
    total_amount         NUMERIC(14, 2) NOT NULL,
    processing_mode      VARCHAR(16)    NOT NULL,
    consumer_id          VARCHAR(128)   NOT NULL,
    detected_at          TIMESTAMPTZ    NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (kafka_partition, kafka_offset)
);
CREATE INDEX order_conflicts_order_id_idx ON order_conflicts (order_id);
