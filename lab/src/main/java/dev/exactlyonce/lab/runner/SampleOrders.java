package dev.exactlyonce.lab.runner;

import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;

/**
 * Valid orders for drills and the bench, with order ids unique per run ({@code <run>-<n>}), so an
 * audit can tell every order apart and a re-run never collides with an earlier one.
 */
public final class SampleOrders {

    private static final String[] PRODUCTS = {"Widget", "Gadget", "Sprocket", "Gizmo"};
    private final String run;

    public SampleOrders(String prefix) {
        this.run = prefix + "-" + Long.toString(System.currentTimeMillis(), 36);
    }

    public PlaceOrderRequest order(long n) {
        int quantity = 1 + (int) (n % 5);
        double price = 19.99;
        return PlaceOrderRequest.newBuilder()
                .setOrderId(run + "-" + n)
                .setCustomerId("cust-" + (n % 100))
                .addItems(
                        OrderItem.newBuilder()
                                .setName(PRODUCTS[(int) (n % PRODUCTS.length)])
                                .setQuantity(quantity)
                                .setPrice(price))
                .setTotalAmount(Math.round(quantity * price * 100) / 100.0)
                .build();
    }
}
