package dev.exactlyonce.producer;

import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;

/**
 * The rules an order must meet before it is written to Kafka. A broken order is refused with
 * INVALID_ARGUMENT naming the field and the rule; nothing of it reaches the topic.
 */
public final class OrderValidator {

    static final int MAX_ID_LENGTH = 64;
    static final int MAX_ITEMS = 100;
    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_QUANTITY = 10_000;
    /** Half a cent: the total may differ from the sum of its lines by rounding only. */
    static final double TOTAL_TOLERANCE = 0.005;

    private OrderValidator() {
    }

    /** One broken rule: the field path (e.g. {@code items[2].price}) and what is wrong with it. */
    public record Violation(String field, String reason) {

        public Violation within(String prefix) {
            return new Violation(prefix + "." + field, reason);
        }

        public StatusRuntimeException asException() {
            return Status.INVALID_ARGUMENT.withDescription(this.toString()).asRuntimeException();
        }

        @Override
        public String toString() {
            return field + ": " + reason;
        }
    }

    /** @return the first broken rule, or null when the order is valid */
    public static Violation check(PlaceOrderRequest order) {
        String orderId = order.getOrderId();
        if (!orderId.isEmpty()) {
            if (orderId.length() > MAX_ID_LENGTH) {
                return new Violation("order_id", "at most " + MAX_ID_LENGTH + " characters, got " + orderId.length());
            }
            if (!isIdentifier(orderId)) {
                return new Violation("order_id", "only letters, digits and . _ : - are allowed");
            }
        }
        int customerLength = order.getCustomerId().codePointCount(0, order.getCustomerId().length());
        if (customerLength < 1 || customerLength > MAX_ID_LENGTH) {
            return new Violation("customer_id", "must be 1.." + MAX_ID_LENGTH + " characters, got " + customerLength);
        }
        int itemCount = order.getItemsCount();
        if (itemCount < 1 || itemCount > MAX_ITEMS) {
            return new Violation("items", "must hold 1.." + MAX_ITEMS + " items, got " + itemCount);
        }
        double sum = 0;
        for (int i = 0; i < itemCount; i++) {
            OrderItem item = order.getItems(i);
            Violation broken = checkItem(item);
            if (broken != null) {
                return broken.within("items[" + i + "]");
            }
            sum += item.getQuantity() * item.getPrice();
        }
        double total = order.getTotalAmount();
        if (!Double.isFinite(total)) {
            return new Violation("total_amount", "must be a finite number");
        }
        if (Math.abs(total - sum) > TOTAL_TOLERANCE) {
            return new Violation("total_amount", "must equal the sum of quantity x price ("
                    + BigDecimal.valueOf(sum).setScale(2, java.math.RoundingMode.HALF_EVEN) + "), got " + total);
        }
        return null;
    }

    private static Violation checkItem(OrderItem item) {
        int nameLength = item.getName().codePointCount(0, item.getName().length());
        if (nameLength < 1 || nameLength > MAX_NAME_LENGTH) {
            return new Violation("name", "must be 1.." + MAX_NAME_LENGTH + " characters, got " + nameLength);
        }
        if (item.getQuantity() < 1 || item.getQuantity() > MAX_QUANTITY) {
            return new Violation("quantity", "must be 1.." + MAX_QUANTITY + ", got " + item.getQuantity());
        }
        double price = item.getPrice();
        if (!Double.isFinite(price)) {
            return new Violation("price", "must be a finite number");
        }
        if (price < 0) {
            return new Violation("price", "must be >= 0, got " + price);
        }
        // Double.toString gives the shortest decimal that round-trips: 19.99 stays 19.99
        if (BigDecimal.valueOf(price).stripTrailingZeros().scale() > 2) {
            return new Violation("price", "at most 2 decimals, got " + price);
        }
        return null;
    }

    private static boolean isIdentifier(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
