package dev.exactlyonce.consumer;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A row of crash_drills: one fired drill, stored before the halt. */
@MappedEntity("crash_drills")
record CrashDrillFired(
        @Id @GeneratedValue @Nullable Long id,
        String consumerGroup,
        String podName,
        String processingMode,
        String crashPoint,
        int afterMessages,
        Instant firedAt) {}
