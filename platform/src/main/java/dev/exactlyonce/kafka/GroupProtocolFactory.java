package dev.exactlyonce.kafka;

import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;

/** The {@link GroupProtocol} from {@code app.group-protocol} (default {@code classic}). */
@Factory
class GroupProtocolFactory {

    @Singleton
    GroupProtocol groupProtocol(
            @Property(name = "app.group-protocol", defaultValue = "classic") String name) {
        return GroupProtocol.fromName(name);
    }
}
