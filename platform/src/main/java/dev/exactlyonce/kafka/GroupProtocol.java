package dev.exactlyonce.kafka;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.GroupType;

/**
 * The consumer group protocol of the services' group consumers (the consumer's poll loop, billing's
 * listener), one setting for both: {@code app.group-protocol}, env {@code APP_GROUP_PROTOCOL},
 * {@code classic} (the default) or {@code consumer}.
 *
 * <ul>
 *   <li>{@link #CLASSIC}: the client runs the group (JoinGroup/SyncGroup); its own {@code
 *       session.timeout.ms} and {@code heartbeat.interval.ms} apply.
 *   <li>{@link #CONSUMER}: KIP-848, the broker runs the group and assigns the partitions. The
 *       client refuses {@code session.timeout.ms}, {@code heartbeat.interval.ms} and {@code
 *       partition.assignment.strategy} (ConfigException), so {@link #configure} removes them: the
 *       broker's {@code group.consumer.session.timeout.ms} and {@code
 *       group.consumer.heartbeat.interval.ms} apply instead. Static membership ({@code
 *       group.instance.id}) stays.
 * </ul>
 */
public enum GroupProtocol {
    CLASSIC,
    CONSUMER;

    /** The client settings that only the classic protocol accepts. */
    public static final List<String> CLASSIC_ONLY_SETTINGS =
            List.of("session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy");

    /** {@code classic} or {@code consumer}, as Kafka spells it; anything else is refused. */
    public static GroupProtocol fromName(String name) {
        for (GroupProtocol protocol : values()) {
            if (protocol.kafkaName().equalsIgnoreCase(name.trim())) {
                return protocol;
            }
        }
        throw new IllegalArgumentException(
                "group protocol must be classic or consumer, was '" + name + "'");
    }

    /**
     * The type the broker gives a group of this protocol's members (Admin describeConsumerGroups).
     */
    public GroupType groupType() {
        return this == CLASSIC ? GroupType.CLASSIC : GroupType.CONSUMER;
    }

    /** The value of the client setting {@code group.protocol}. */
    public String kafkaName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Sets {@code group.protocol} in a group consumer's settings and, for {@link #CONSUMER}, drops
     * the settings only the classic protocol accepts.
     */
    public <M extends Map<Object, Object>> M configure(M consumerSettings) {
        consumerSettings.put("group.protocol", kafkaName());
        if (this == CONSUMER) {
            CLASSIC_ONLY_SETTINGS.forEach(consumerSettings::remove);
        }
        return consumerSettings;
    }
}
