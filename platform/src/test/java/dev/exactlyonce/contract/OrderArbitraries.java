package dev.exactlyonce.contract;

import dev.exactlyonce.grpc.v1.OrderItem;
import dev.exactlyonce.grpc.v1.PlaceOrderRequest;
import java.math.BigDecimal;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generated orders for the contract's property tests (the consumer's and billing's, against the
 * real engines): mostly valid orders, and among them every kind of hostile text (NUL and other
 * control characters, lone surrogates, emoji, bidi overrides, COPY escapes), amounts in fractions
 * of a cent or beyond the column, quantities out of range, totals a cent off.
 */
public final class OrderArbitraries {

    private OrderArbitraries() {}

    /** 1..50 orders: mostly valid, some with hostile text, odd amounts or broken totals. */
    public static Arbitrary<List<PlaceOrderRequest>> orders() {
        return order().list().ofMinSize(1).ofMaxSize(50);
    }

    private static Arbitrary<PlaceOrderRequest> order() {
        Arbitrary<List<OrderItem>> items =
                Arbitraries.frequencyOf(
                        Tuple.of(19, item().list().ofMinSize(1).ofMaxSize(4)),
                        Tuple.of(1, Arbitraries.just(List.<OrderItem>of())));
        Arbitrary<Integer> totalOffsetCents =
                Arbitraries.frequencyOf(
                        Tuple.of(8, Arbitraries.just(0)),
                        Tuple.of(1, Arbitraries.integers().between(-2, 2)));
        return Combinators.combine(
                        text(70),
                        items,
                        totalOffsetCents,
                        Arbitraries.frequencyOf(
                                Tuple.of(18, Arbitraries.just(0.0)),
                                Tuple.of(1, Arbitraries.just(0.005)),
                                Tuple.of(1, Arbitraries.just(1e15))))
                .as(
                        (customer, lines, offsetCents, oddTotal) -> {
                            BigDecimal sum = BigDecimal.ZERO;
                            for (OrderItem line : lines) {
                                sum =
                                        sum.add(
                                                BigDecimal.valueOf(line.getPrice())
                                                        .multiply(
                                                                BigDecimal.valueOf(
                                                                        line.getQuantity())));
                            }
                            double total =
                                    sum.add(BigDecimal.valueOf(offsetCents, 2)).doubleValue()
                                            + oddTotal;
                            return PlaceOrderRequest.newBuilder()
                                    .setCustomerId(customer)
                                    .addAllItems(lines)
                                    .setTotalAmount(total)
                                    .build();
                        });
    }

    private static Arbitrary<OrderItem> item() {
        Arbitrary<Integer> quantity =
                Arbitraries.frequencyOf(
                        Tuple.of(19, Arbitraries.integers().between(1, 10_000)),
                        Tuple.of(1, Arbitraries.integers().between(-1, 10_001)));
        Arbitrary<Double> price =
                Arbitraries.frequencyOf(
                        Tuple.of(12, Arbitraries.longs().between(0, 100_000).map(c -> c / 100.0)),
                        Tuple.of(
                                4,
                                Arbitraries.longs().between(0, 9_999_999_999L).map(c -> c / 100.0)),
                        Tuple.of(1, Arbitraries.longs().between(0, 1_000_000).map(c -> c / 1000.0)),
                        Tuple.of(1, Arbitraries.doubles()));
        return Combinators.combine(text(210), quantity, price)
                .as(
                        (name, q, p) ->
                                OrderItem.newBuilder()
                                        .setName(name)
                                        .setQuantity(q)
                                        .setPrice(p)
                                        .build());
    }

    /**
     * Plain text mostly; sometimes any char at all: controls, NUL, lone surrogates, emoji, escapes.
     */
    private static Arbitrary<String> text(int maxLength) {
        return Arbitraries.frequencyOf(
                Tuple.of(
                        30,
                        Arbitraries.strings()
                                .alpha()
                                .numeric()
                                .withChars(" -'\"\\é😀")
                                .ofMinLength(1)
                                .ofMaxLength(maxLength)),
                Tuple.of(3, Arbitraries.strings().all().ofMinLength(0).ofMaxLength(maxLength)),
                Tuple.of(
                        1,
                        Arbitraries.of(
                                "",
                                "Wid\u0000get",
                                "\u0007\u001b[31m",
                                "😀".repeat(40),
                                "😀".repeat(65),
                                "\ud800",
                                "\u202Eevil",
                                "\\N",
                                "x".repeat(maxLength))));
    }
}
