package dev.exactlyonce.billing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.exactlyonce.contract.OrderContract;
import dev.exactlyonce.contract.OrderContract.Violation;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * An order record to its invoice: a pure function, so that billing the same record twice gives the
 * same invoice (same invoice_id), which is what makes a duplicate recognisable downstream. The
 * arithmetic is in whole cents: the order contract bounds the net at 99,999,999,999,999 cents, so
 * net x 20 % and net + tax stay far inside a long ({@link Math#multiplyExact} says so if they did
 * not).
 *
 * <p>Public for one caller outside billing: the lab's Kafka Streams peer ({@code lab bench --peer
 * kafka-streams}) bills the same orders with this same function, so that the two can be compared
 * invoice for invoice.
 */
public final class Invoices {

    static final int TAX_RATE_PERCENT = 20;
    static final String CURRENCY = "EUR";

    /**
     * An order record that can never be invoiced; it goes to billing.dlq at once (retrying cannot
     * help).
     */
    public static final class PoisonOrder extends Exception {
        private final String messageId;

        PoisonOrder(String reason, String messageId) {
            super(reason, null, false, false);
            this.messageId = messageId;
        }

        /**
         * The message id the record carries (its OrderEvent's, else its message-id header), or
         * null: what names it in the audit.
         */
        String messageId() {
            return messageId;
        }
    }

    private Invoices() {}

    /**
     * "inv-" + name-based UUID of the message id: deterministic, and never equal to another
     * order's.
     */
    static String invoiceId(String messageId) {
        return "inv-"
                + UUID.nameUUIDFromBytes(("invoice:" + messageId).getBytes(StandardCharsets.UTF_8));
    }

    static Invoice invoice(ConsumerRecord<String, byte[]> record) throws PoisonOrder {
        return invoice(record.value(), record.headers());
    }

    /**
     * An order record's value and headers (as a consumer or Kafka Streams gets them) to its
     * invoice.
     */
    public static Invoice invoice(byte[] value, Headers headers) throws PoisonOrder {
        if (value == null) {
            throw new PoisonOrder("empty value (tombstone)", Topics.messageId(null, headers));
        }
        OrderEvent order;
        try {
            order = OrderEvent.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonOrder(
                    "not an OrderEvent: " + e.getMessage(), Topics.messageId(null, headers));
        }
        String messageId = Topics.messageId(order, headers);
        // the topic is open to any writer: the order contract is checked again where the record is
        // read
        Violation broken = OrderContract.check(order, messageId);
        if (broken != null) {
            throw new PoisonOrder("breaks the order contract: " + broken, messageId);
        }
        long netCents = OrderContract.cents(order.getTotalAmount());
        long taxCents =
                BigDecimal.valueOf(Math.multiplyExact(netCents, TAX_RATE_PERCENT))
                        .divide(BigDecimal.valueOf(100), 0, RoundingMode.HALF_EVEN)
                        .longValueExact();
        Invoice.Builder invoice =
                Invoice.newBuilder()
                        .setInvoiceId(invoiceId(messageId))
                        .setOrderId(order.getOrderId())
                        .setMessageId(messageId)
                        .setCustomerId(order.getCustomerId())
                        .setNetCents(netCents)
                        .setTaxCents(taxCents)
                        .setGrossCents(Math.addExact(netCents, taxCents))
                        .setTaxRatePercent(TAX_RATE_PERCENT)
                        .setCurrency(CURRENCY)
                        .setLineCount(order.getItemsCount());
        if (order.hasProducedAt()) {
            invoice.setOrderedAt(order.getProducedAt());
        }
        return invoice.build();
    }
}
