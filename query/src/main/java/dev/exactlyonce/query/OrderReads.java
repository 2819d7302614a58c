package dev.exactlyonce.query;

import dev.exactlyonce.grpc.v1.GetOrderRequest;
import dev.exactlyonce.grpc.v1.GetOrderResponse;
import dev.exactlyonce.grpc.v1.ListOrdersRequest;
import dev.exactlyonce.grpc.v1.ListOrdersResponse;
import dev.exactlyonce.grpc.v1.StoredOrder;
import dev.exactlyonce.query.store.OrderRepository;
import dev.exactlyonce.query.store.OrderRow;
import dev.exactlyonce.query.store.ProcessedMessageRepository;
import io.grpc.Status;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * ListOrders and GetOrder: the stored rows themselves, newest first in pages ({@link PageToken}),
 * or every row of one order with its dedup record.
 */
@Singleton
class OrderReads {

    static final int DEFAULT_PAGE = 50;

    private final OrderRepository orders;
    private final ProcessedMessageRepository processedMessages;
    private final StoredOrderConverter converter;

    OrderReads(
            OrderRepository orders,
            ProcessedMessageRepository processedMessages,
            StoredOrderConverter converter) {
        this.orders = orders;
        this.processedMessages = processedMessages;
        this.converter = converter;
    }

    ListOrdersResponse list(ListOrdersRequest request) {
        int limit =
                request.getLimit() == 0
                        ? DEFAULT_PAGE
                        : ArgumentChecks.limit("limit", request.getLimit());
        long before;
        try {
            before = PageToken.decode(request.getPageToken());
        } catch (IllegalArgumentException e) {
            throw ArgumentChecks.invalid("page_token", e.getMessage());
        }
        if (request.hasCustomerId()) {
            ArgumentChecks.id("customer_id", request.getCustomerId());
        }
        // one row more than asked tells whether there is a next page
        List<OrderRow> rows =
                request.hasCustomerId()
                        ? orders.newestOfCustomerBefore(request.getCustomerId(), before, limit + 1)
                        : orders.newestBefore(before, limit + 1);
        ListOrdersResponse.Builder response = ListOrdersResponse.newBuilder();
        rows.stream().limit(limit).map(converter::toProto).forEach(response::addOrders);
        if (rows.size() > limit) {
            response.setNextPageToken(PageToken.after(rows.get(limit - 1).id()));
        }
        return response.build();
    }

    /** Every stored row of the order (more than one: a duplicate), or NOT_FOUND. */
    GetOrderResponse get(GetOrderRequest request) {
        String orderId = ArgumentChecks.id("order_id", request.getOrderId());
        List<StoredOrder> rows = orders.rowsOf(orderId).stream().map(converter::toProto).toList();
        if (rows.isEmpty()) {
            throw Status.NOT_FOUND
                    .withDescription("order_id: no stored order " + orderId)
                    .asRuntimeException();
        }
        return GetOrderResponse.newBuilder()
                .setOrderId(orderId)
                .addAllRows(rows)
                .addAllProcessedMessages(
                        processedMessages.ofOrder(orderId).stream()
                                .map(converter::toProto)
                                .toList())
                .build();
    }
}
