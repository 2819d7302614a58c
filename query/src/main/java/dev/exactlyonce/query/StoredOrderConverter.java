package dev.exactlyonce.query;

import com.google.protobuf.Timestamp;
import dev.exactlyonce.grpc.v1.DeliveryMode;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.ProcessedMessage;
import dev.exactlyonce.grpc.v1.StoredOrder;
import dev.exactlyonce.query.store.OrderRow;
import dev.exactlyonce.query.store.ProcessedMessageRow;
import io.micronaut.core.type.Argument;
import io.micronaut.json.JsonMapper;
import io.micronaut.serde.annotation.Serdeable;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stored rows as the contract's messages. */
@Singleton
public class StoredOrderConverter {

    private static final Logger LOG = LoggerFactory.getLogger(StoredOrderConverter.class);

    /** One element of orders.items (JSONB), as the consumer writes it. */
    @Serdeable
    record Item(String name, int quantity, double price) {}

    private final JsonMapper json;

    public StoredOrderConverter(JsonMapper json) {
        this.json = json;
    }

    public StoredOrder toProto(OrderRow row) {
        return StoredOrder.newBuilder()
                .setId(row.id())
                .setOrderId(row.orderId())
                .setMessageId(row.messageId())
                .setCustomerId(row.customerId())
                .addAllItems(items(row))
                .setTotalAmount(row.totalAmount().doubleValue())
                .setPartition(row.kafkaPartition())
                .setOffset(row.kafkaOffset())
                .setProducedAt(timestamp(row.producedAt()))
                .setProcessedAt(timestamp(row.processedAt()))
                .setProcessingMode(mode(row.processingMode()))
                .setConsumerId(row.consumerId())
                .build();
    }

    public ProcessedMessage toProto(ProcessedMessageRow row) {
        return ProcessedMessage.newBuilder()
                .setMessageId(row.messageId())
                .setOrderId(row.orderId())
                .setPartition(row.kafkaPartition())
                .setOffset(row.kafkaOffset())
                .setProcessedAt(timestamp(row.processedAt()))
                .build();
    }

    public static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder()
                .setSeconds(instant.getEpochSecond())
                .setNanos(instant.getNano())
                .build();
    }

    private List<OrderItem> items(OrderRow row) {
        try {
            return json.readValue(row.items(), Argument.listOf(Item.class)).stream()
                    .map(
                            i ->
                                    OrderItem.newBuilder()
                                            .setName(i.name())
                                            .setQuantity(i.quantity())
                                            .setPrice(i.price())
                                            .build())
                    .toList();
        } catch (IOException | RuntimeException e) {
            // the row is still worth showing; its items are not in the expected shape
            LOG.warn("orders row {}: items not readable: {}", row.id(), e.getMessage());
            return List.of();
        }
    }

    private static DeliveryMode mode(String stored) {
        try {
            return DeliveryMode.valueOf(stored);
        } catch (IllegalArgumentException e) {
            return DeliveryMode.DELIVERY_MODE_UNSPECIFIED;
        }
    }
}
