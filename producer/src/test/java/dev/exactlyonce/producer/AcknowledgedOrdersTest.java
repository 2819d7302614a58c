package dev.exactlyonce.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AcknowledgedOrdersTest {

    @Test
    void aRetriedOrderAcknowledgedTwiceCountsOnce() {
        AcknowledgedOrders acknowledged = new AcknowledgedOrders();

        assertThat(acknowledged.firstAcknowledgement("m-1")).isTrue();
        assertThat(acknowledged.firstAcknowledgement("m-1")).isFalse();
        assertThat(acknowledged.firstAcknowledgement("m-2")).isTrue();
        assertThat(acknowledged.size()).isEqualTo(2);
    }

    @Test
    void itRemembersTheNewestCapacityOrdersAndForgetsTheOldestFirst() {
        AcknowledgedOrders acknowledged = new AcknowledgedOrders(8);
        IntStream.range(0, 8)
                .forEach(i -> assertThat(acknowledged.firstAcknowledgement("m-" + i)).isTrue());

        assertThat(acknowledged.firstAcknowledgement("m-8"))
                .as("a ninth order evicts m-0")
                .isTrue();

        assertThat(acknowledged.size()).isEqualTo(8);
        IntStream.rangeClosed(1, 8)
                .forEach(
                        i ->
                                assertThat(acknowledged.firstAcknowledgement("m-" + i))
                                        .as("m-%d is remembered", i)
                                        .isFalse());
        assertThat(acknowledged.firstAcknowledgement("m-0"))
                .as("m-0 was forgotten: it counts again")
                .isTrue();
    }

    @Test
    void evictionKeepsEveryRememberedIdFindableOverManyGenerations() {
        int capacity = 1 << 10;
        AcknowledgedOrders acknowledged = new AcknowledgedOrders(capacity);
        int total = capacity * 20;
        for (int i = 0; i < total; i++) {
            assertThat(acknowledged.firstAcknowledgement("order-" + i)).isTrue();
            if (i % 97 == 0) {
                // a retry of a recent order, and one of an order already forgotten
                assertThat(
                                acknowledged.firstAcknowledgement(
                                        "order-" + Math.max(0, i - capacity / 2)))
                        .isFalse();
            }
        }
        assertThat(acknowledged.size()).isEqualTo(capacity);
        for (int i = total - capacity; i < total; i++) {
            assertThat(acknowledged.firstAcknowledgement("order-" + i)).isFalse();
        }
        assertThat(acknowledged.size()).isEqualTo(capacity);
    }

    @Test
    void theDefaultBoundIsTwoToTheEighteenth() {
        assertThat(AcknowledgedOrders.CAPACITY).isEqualTo(262_144);
        assertThatThrownBy(() -> new AcknowledgedOrders(1000))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
