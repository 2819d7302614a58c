-- The consumer owns the schema. Three tables carry the delivery semantics:
--   orders              the business rows. NO unique constraint on order_id: when the idempotency
--                       check is off, duplicates must be visible.
--   processed_messages  dedup: one row per message_id, written in the SAME transaction as the order row.
--   kafka_offsets       the next offset per partition, written in the SAME transaction too
--                       (exactly-once: the consumer resumes from here, not from Kafka's committed offsets).
-- The rest keeps QueryService fast at millions of rows (counters maintained by triggers).

CREATE TABLE orders (
    id               BIGSERIAL PRIMARY KEY,
    order_id         VARCHAR(64)    NOT NULL,
    message_id       VARCHAR(64)    NOT NULL,
    customer_id      VARCHAR(64)    NOT NULL,
    items            JSONB          NOT NULL,
    total_amount     NUMERIC(14, 2) NOT NULL,
    kafka_partition  INT            NOT NULL,
    kafka_offset     BIGINT         NOT NULL,
    produced_at      TIMESTAMPTZ    NOT NULL,
    processed_at     TIMESTAMPTZ    NOT NULL DEFAULT clock_timestamp(),
    processing_mode  VARCHAR(16)    NOT NULL,
    consumer_id      VARCHAR(128)   NOT NULL
);
CREATE INDEX orders_order_id_idx ON orders (order_id);
CREATE INDEX orders_message_id_idx ON orders (message_id);
CREATE INDEX orders_customer_id_idx ON orders (customer_id, id);
CREATE INDEX orders_processed_at_idx ON orders (processed_at);

CREATE TABLE processed_messages (
    message_id       VARCHAR(64)  PRIMARY KEY,
    order_id         VARCHAR(64)  NOT NULL,
    kafka_partition  INT          NOT NULL,
    kafka_offset     BIGINT       NOT NULL,
    processed_at     TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE kafka_offsets (
    consumer_group   VARCHAR(255) NOT NULL,
    topic            VARCHAR(255) NOT NULL,
    kafka_partition  INT          NOT NULL,
    -- the next offset to read: last processed offset + 1
    next_offset      BIGINT       NOT NULL,
    -- who wrote it last (consumer member id / pod and group generation), for zombie fencing
    owner            VARCHAR(255) NOT NULL,
    generation       INT          NOT NULL,
    updated_at       TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer_group, topic, kafka_partition)
);

-- Counters for GetStats in constant time -------------------------------------------------------

-- rows stored per order id; row_count > 1 means duplicated
CREATE TABLE order_counts (
    order_id   VARCHAR(64) PRIMARY KEY,
    row_count  INT         NOT NULL
);
CREATE INDEX order_counts_duplicated_idx ON order_counts (order_id) WHERE row_count > 1;

-- one row: totals over orders and processed_messages
CREATE TABLE order_totals (
    id                  INT     PRIMARY KEY CHECK (id = 1),
    total_rows          BIGINT  NOT NULL,
    distinct_orders     BIGINT  NOT NULL,
    processed_messages  BIGINT  NOT NULL
);
INSERT INTO order_totals VALUES (1, 0, 0, 0);

-- rows stored per second, for "orders per second over the last minute"
CREATE TABLE orders_per_second (
    second  TIMESTAMPTZ PRIMARY KEY,
    rows    BIGINT      NOT NULL
);

CREATE FUNCTION orders_count_inserted() RETURNS trigger AS $$
DECLARE
    inserted   BIGINT;
    new_ids    BIGINT;
BEGIN
    SELECT count(*) INTO inserted FROM new_rows;
    IF inserted = 0 THEN
        RETURN NULL;
    END IF;
    -- ordered by key so that concurrent transactions lock order_counts rows in the same order
    WITH upserted AS (
        INSERT INTO order_counts AS c (order_id, row_count)
        SELECT order_id, count(*) FROM new_rows GROUP BY order_id ORDER BY order_id
        ON CONFLICT (order_id) DO UPDATE SET row_count = c.row_count + EXCLUDED.row_count
        RETURNING (xmax = 0) AS is_new
    )
    SELECT count(*) FILTER (WHERE is_new) INTO new_ids FROM upserted;
    INSERT INTO orders_per_second AS s (second, rows)
    SELECT date_trunc('second', processed_at), count(*) FROM new_rows GROUP BY 1 ORDER BY 1
    ON CONFLICT (second) DO UPDATE SET rows = s.rows + EXCLUDED.rows;
    UPDATE order_totals SET total_rows = total_rows + inserted, distinct_orders = distinct_orders + new_ids
    WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_counted AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orders_count_inserted();

CREATE FUNCTION processed_messages_count_inserted() RETURNS trigger AS $$
BEGIN
    UPDATE order_totals SET processed_messages = processed_messages + (SELECT count(*) FROM new_rows)
    WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER processed_messages_counted AFTER INSERT ON processed_messages
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION processed_messages_count_inserted();

-- The audit window: QueryService.Reset starts a new one at the Kafka end offsets of that moment ------
CREATE TABLE audit_windows (
    id             BIGSERIAL    PRIMARY KEY,
    started_at     TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp(),
    -- [{"topic": "orders", "partition": 0, "offset": 123}, ...]
    start_offsets  JSONB        NOT NULL
);

-- Latest `lab bench` figures, shown by QueryService.CompareSemantics ---------------------------------
CREATE TABLE benchmark_results (
    id                       BIGSERIAL        PRIMARY KEY,
    measured_at              TIMESTAMPTZ      NOT NULL DEFAULT clock_timestamp(),
    workload                 VARCHAR(100)     NOT NULL,
    mode                     VARCHAR(16)      NOT NULL,
    orders                   BIGINT           NOT NULL,
    acknowledged_per_second  DOUBLE PRECISION NOT NULL,
    stored_per_second        DOUBLE PRECISION NOT NULL,
    p50_ms                   DOUBLE PRECISION NOT NULL,
    p95_ms                   DOUBLE PRECISION NOT NULL,
    p99_ms                   DOUBLE PRECISION NOT NULL,
    max_ms                   DOUBLE PRECISION NOT NULL,
    verdict                  VARCHAR(200)     NOT NULL
);
