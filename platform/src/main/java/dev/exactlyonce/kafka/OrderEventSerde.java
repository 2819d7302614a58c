package dev.exactlyonce.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.exactlyonce.grpc.v1.OrderEvent;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde for the protobuf {@link OrderEvent}, the value of every record on topic "orders". */
public final class OrderEventSerde {

    private OrderEventSerde() {}

    public static final class OrderEventSerializer implements Serializer<OrderEvent> {
        @Override
        public byte[] serialize(String topic, OrderEvent event) {
            return event == null ? null : event.toByteArray();
        }
    }

    /**
     * Throws {@link SerializationException} for bytes that are not an OrderEvent, so that the
     * consumer can route such a poison record to the DLQ instead of skipping it.
     */
    public static final class OrderEventDeserializer implements Deserializer<OrderEvent> {
        @Override
        public OrderEvent deserialize(String topic, byte[] data) {
            if (data == null) {
                return null;
            }
            try {
                return OrderEvent.parseFrom(data);
            } catch (InvalidProtocolBufferException e) {
                throw new SerializationException(
                        "not an OrderEvent on " + topic + ": " + e.getMessage(), e);
            }
        }
    }
}
