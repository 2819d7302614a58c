package dev.exactlyonce.query.store;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One row of {@code audit_windows}; startOffsets is the JSONB column read as text. */
@MappedEntity("audit_windows")
public record AuditWindow(@Id long id, Instant startedAt, String startOffsets) {}
