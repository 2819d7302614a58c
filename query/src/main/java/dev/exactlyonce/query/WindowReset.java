package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.PartitionOffset;
import dev.exactlyonce.grpc.v1.ResetResponse;
import dev.exactlyonce.query.audit.AuditWindowAnnouncement;
import dev.exactlyonce.query.audit.AuditWindows;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Reset: empties the store and opens a new audit window at the Kafka offsets of this moment ({@link
 * AuditWindows}), then tells the other services where it starts ({@link AuditWindowAnnouncement}).
 * A write: never retried.
 */
@Singleton
class WindowReset {

    private final AuditWindows windows;
    private final AuditWindowAnnouncement announcement;

    WindowReset(AuditWindows windows, AuditWindowAnnouncement announcement) {
        this.windows = windows;
        this.announcement = announcement;
    }

    ResetResponse reset()
            throws ExecutionException, InterruptedException, TimeoutException, IOException {
        AuditWindows.ResetOutcome outcome = windows.reset();
        ResetResponse.Builder response =
                ResetResponse.newBuilder()
                        .setOrdersDeleted(outcome.ordersDeleted())
                        .setProcessedMessagesDeleted(outcome.processedMessagesDeleted())
                        .setResetAt(StoredOrderConverter.timestamp(outcome.window().startedAt()));
        outcome.window()
                .start()
                .forEach(
                        o ->
                                response.addAuditWindowStart(
                                        PartitionOffset.newBuilder()
                                                .setTopic(o.topic())
                                                .setPartition(o.partition())
                                                .setOffset(o.offset())));
        announcement.announce(response.build());
        return response.build();
    }
}
