package dev.exactlyonce.consumer;

import dev.exactlyonce.kafka.Topics;
import dev.exactlyonce.server.StalledLoop;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;

/**
 * The poll loop's stall watch: a readiness dependency of the consumer (see {@link StalledLoop}).
 */
@Factory
class ConsumerLoopWatch {

    @Singleton
    StalledLoop stalledLoop(ConsumerSettings settings) {
        return new StalledLoop(
                Topics.ORDERS + " to PostgreSQL, group " + settings.groupId(),
                settings.stalledAfter());
    }
}
