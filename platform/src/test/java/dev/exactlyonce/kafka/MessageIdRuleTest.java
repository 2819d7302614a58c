package dev.exactlyonce.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactlyonce.grpc.v1.OrderEvent;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The one rule by which consumer, billing and the audit name a record of topic orders. */
class MessageIdRuleTest {

    private static RecordHeaders messageIdHeader(String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Topics.HEADER_MESSAGE_ID, value.getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    @Test
    void theOrdersOwnMessageIdWinsOverItsHeader() {
        OrderEvent order = OrderEvent.newBuilder().setMessageId("m-value").build();

        assertThat(Topics.messageId(order, messageIdHeader("m-header"))).isEqualTo("m-value");
    }

    @Test
    void anOrderWithoutOneOrARecordThatIsNoOrderIsNamedByItsHeader() {
        assertThat(Topics.messageId(OrderEvent.getDefaultInstance(), messageIdHeader("m-header")))
                .isEqualTo("m-header");
        assertThat(Topics.messageId(null, messageIdHeader("m-header"))).isEqualTo("m-header");
    }

    @Test
    void anEmptyOrMissingHeaderNamesNothing() {
        assertThat(Topics.messageId(null, messageIdHeader(""))).isNull();
        assertThat(Topics.messageId(OrderEvent.getDefaultInstance(), new RecordHeaders())).isNull();
        assertThat(Topics.messageId(null, null)).isNull();
    }

    @Test
    void theLastOfRepeatedHeadersCounts() {
        RecordHeaders headers = messageIdHeader("first");
        headers.add(Topics.HEADER_MESSAGE_ID, "last".getBytes(StandardCharsets.UTF_8));

        assertThat(Topics.messageId(null, headers)).isEqualTo("last");
    }
}
