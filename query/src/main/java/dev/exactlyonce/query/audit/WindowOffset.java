package dev.exactlyonce.query.audit;

import io.micronaut.serde.annotation.Serdeable;

/** One element of audit_windows.start_offsets: where the window starts in one partition. */
@Serdeable
public record WindowOffset(String topic, int partition, long offset) {}
