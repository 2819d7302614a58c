-- One row per crash drill fired, written BEFORE the process halts: crashes_fired survives the crash it counts.
CREATE TABLE crash_drills (
    id               BIGSERIAL    PRIMARY KEY,
    consumer_group   VARCHAR(255) NOT NULL,
    pod_name         VARCHAR(255) NOT NULL,
    processing_mode  VARCHAR(16)  NOT NULL,
    crash_point      VARCHAR(32)  NOT NULL,
    after_messages   INT          NOT NULL,
    fired_at         TIMESTAMPTZ  NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX crash_drills_group_idx ON crash_drills (consumer_group);
