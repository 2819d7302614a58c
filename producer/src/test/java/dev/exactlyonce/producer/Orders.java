package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;

/** Valid orders for tests. */
final class Orders {

    private Orders() {}

    static PlaceOrderRequest valid(String customer) {
        return PlaceOrderRequest.newBuilder()
                .setCustomerId(customer)
                .addItems(OrderItem.newBuilder().setName("Widget").setQuantity(2).setPrice(19.99))
                .addItems(OrderItem.newBuilder().setName("Gadget").setQuantity(1).setPrice(5.5))
                .setTotalAmount(45.48)
                .build();
    }
}
