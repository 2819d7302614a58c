package dev.exactlyonce.contract;

import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.math.BigDecimal;
import java.util.List;

/**
 * The order contract: what an order must be so that every service can store and bill it. The rules
 * are derived from where an order ends up, and checked in two places with this one class: by the
 * producer at the edge (a broken order is refused with {@code INVALID_ARGUMENT} naming the field
 * and the rule, nothing of it reaches Kafka), and again by the consumer and billing where they read
 * a record (a record that breaks it was not written by our producer: it is dead-lettered with the
 * rule as its reason). So what the producer acknowledges is storable and billable by construction.
 *
 * <ul>
 *   <li><b>Text</b> ({@code customer_id}, item names) is valid Unicode without control characters:
 *       no U+0000 (PostgreSQL's text and JSONB cannot hold it), no other C0/C1 control character
 *       (terminal escapes, bells), no unpaired surrogate. Lengths are counted in characters (code
 *       points), the way PostgreSQL's {@code VARCHAR(n)} counts them: 40 emoji are 40 characters,
 *       not 80.
 *   <li><b>Ids</b> ({@code order_id}, {@code message_id}) are 1..64 of {@code [A-Za-z0-9._:-]},
 *       never trimmed or case-folded.
 *   <li><b>Money</b> is exact: a price or total is accepted only when its shortest decimal form
 *       (what JSON and grpcurl show) has at most 2 decimals, so it is exactly one amount in cents;
 *       all arithmetic is in whole cents ({@code long}, {@link Math#multiplyExact}); the total must
 *       equal the sum of quantity x price to the cent, with no tolerance; every amount is at most
 *       {@value #MAX_AMOUNT_TEXT}, what {@code orders.total_amount NUMERIC(14, 2)} holds, and
 *       billing's gross (net plus at most 100 % tax) stays far inside a {@code long}.
 * </ul>
 */
public final class OrderContract {

    public static final int MAX_ID_LENGTH = 64;
    public static final int MAX_CUSTOMER_ID_LENGTH = 64;
    public static final int MAX_ITEMS = 100;
    public static final int MAX_NAME_LENGTH = 200;
    public static final int MAX_QUANTITY = 10_000;

    /** NUMERIC(14, 2): 12 digits before the point, 2 after. */
    public static final long MAX_AMOUNT_CENTS = 99_999_999_999_999L;

    static final String MAX_AMOUNT_TEXT = "999999999999.99";

    private OrderContract() {}

    /** One broken rule: the field path (e.g. {@code items[2].price}) and the rule it breaks. */
    public record Violation(String field, String rule) {

        public Violation within(String prefix) {
            return new Violation(prefix + "." + field, rule);
        }

        public StatusRuntimeException asException() {
            return Status.INVALID_ARGUMENT.withDescription(toString()).asRuntimeException();
        }

        @Override
        public String toString() {
            return field + ": " + rule;
        }
    }

    /**
     * At the edge: a request to place an order. An empty order_id is allowed (the producer
     * generates one).
     */
    public static Violation check(PlaceOrderRequest order) {
        if (!order.getOrderId().isEmpty()) {
            Violation broken = checkId("order_id", order.getOrderId());
            if (broken != null) {
                return broken;
            }
        }
        return checkContent(order.getCustomerId(), order.getItemsList(), order.getTotalAmount());
    }

    /**
     * Where a record is read: the payload of topic orders. Its ids are required (our producer
     * always sets them); {@code messageId} is the event's message_id or, when empty, its message-id
     * header.
     */
    public static Violation check(OrderEvent event, String messageId) {
        Violation broken = checkId("order_id", event.getOrderId());
        if (broken == null) {
            broken = checkId("message_id", messageId == null ? "" : messageId);
        }
        return broken != null
                ? broken
                : checkContent(event.getCustomerId(), event.getItemsList(), event.getTotalAmount());
    }

    /** An amount that passed {@link #check} in whole cents. */
    public static long cents(double amount) {
        return BigDecimal.valueOf(amount).movePointRight(2).longValueExact();
    }

    private static Violation checkContent(String customerId, List<OrderItem> items, double total) {
        Violation broken = checkText("customer_id", customerId, MAX_CUSTOMER_ID_LENGTH);
        if (broken != null) {
            return broken;
        }
        if (items.isEmpty() || items.size() > MAX_ITEMS) {
            return new Violation(
                    "items", "must hold 1.." + MAX_ITEMS + " items, got " + items.size());
        }
        long sumCents = 0;
        for (int i = 0; i < items.size(); i++) {
            OrderItem item = items.get(i);
            broken = checkItem(item);
            if (broken != null) {
                return broken.within("items[" + i + "]");
            }
            long line = Math.multiplyExact(cents(item.getPrice()), (long) item.getQuantity());
            if (line > MAX_AMOUNT_CENTS) {
                return new Violation(
                        "items[" + i + "]", "quantity x price must be at most " + MAX_AMOUNT_TEXT);
            }
            sumCents += line; // at most 100 lines of at most ~1e14: far from overflow
        }
        broken = checkAmount("total_amount", total);
        if (broken != null) {
            return broken;
        }
        if (cents(total) != sumCents) {
            return new Violation(
                    "total_amount",
                    "must equal the sum of quantity x price ("
                            + BigDecimal.valueOf(sumCents, 2).toPlainString()
                            + "), got "
                            + BigDecimal.valueOf(total).toPlainString());
        }
        return null;
    }

    private static Violation checkItem(OrderItem item) {
        Violation broken = checkText("name", item.getName(), MAX_NAME_LENGTH);
        if (broken != null) {
            return broken;
        }
        if (item.getQuantity() < 1 || item.getQuantity() > MAX_QUANTITY) {
            return new Violation(
                    "quantity", "must be 1.." + MAX_QUANTITY + ", got " + item.getQuantity());
        }
        return checkAmount("price", item.getPrice());
    }

    /** Finite, >= 0, exactly a number of cents, at most {@value #MAX_AMOUNT_TEXT}. */
    private static Violation checkAmount(String field, double amount) {
        if (!Double.isFinite(amount)) {
            return new Violation(field, "must be a finite number");
        }
        if (amount < 0) {
            return new Violation(field, "must be >= 0, got " + amount);
        }
        // Double.toString gives the shortest decimal that round-trips: 19.99 stays 19.99, 0.015
        // stays 0.015
        BigDecimal decimal = BigDecimal.valueOf(amount);
        if (decimal.stripTrailingZeros().scale() > 2) {
            return new Violation(
                    field, "at most 2 decimals (whole cents), got " + decimal.toPlainString());
        }
        if (decimal.movePointRight(2).compareTo(BigDecimal.valueOf(MAX_AMOUNT_CENTS)) > 0) {
            return new Violation(
                    field,
                    "must be at most " + MAX_AMOUNT_TEXT + ", got " + decimal.toPlainString());
        }
        return null;
    }

    /** 1..max characters (code points) of valid Unicode without control characters. */
    static Violation checkText(String field, String value, int maxLength) {
        int length = 0;
        for (int i = 0; i < value.length(); length++) {
            int codePoint = value.codePointAt(i);
            if (Character.getType(codePoint) == Character.CONTROL) {
                return new Violation(
                        field,
                        String.format(
                                "must not contain control characters, got U+%04X at character %d",
                                codePoint, length));
            }
            if (Character.getType(codePoint) == Character.SURROGATE) {
                return new Violation(
                        field,
                        "must be valid Unicode, got an unpaired surrogate at character " + length);
            }
            i += Character.charCount(codePoint);
        }
        if (length < 1 || length > maxLength) {
            return new Violation(field, "must be 1.." + maxLength + " characters, got " + length);
        }
        return null;
    }

    /** 1..64 of [A-Za-z0-9._:-]. */
    static Violation checkId(String field, String value) {
        if (value.isEmpty()) {
            return new Violation(field, "is required");
        }
        if (value.length() > MAX_ID_LENGTH) {
            return new Violation(
                    field, "at most " + MAX_ID_LENGTH + " characters, got " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '.'
                            || c == '_'
                            || c == ':'
                            || c == '-';
            if (!allowed) {
                return new Violation(field, "only letters, digits and . _ : - are allowed");
            }
        }
        return null;
    }
}
