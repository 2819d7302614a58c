package dev.exactlyonce.billing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.exactlyonce.grpc.v1.Invoice;
import dev.exactlyonce.grpc.v1.OrderEvent;
import dev.exactlyonce.kafka.Topics;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * An order record to its invoice: a pure function, so that billing the same record twice gives the
 * same invoice (same invoice_id), which is what makes a duplicate recognisable downstream.
 */
final class Invoices {

    static final int TAX_RATE_PERCENT = 20;
    static final String CURRENCY = "EUR";
    private static final BigDecimal MAX_CENTS = BigDecimal.valueOf(Long.MAX_VALUE / 2);

    /** An order record that can never be invoiced; it goes to billing.dlq at once (retrying cannot help). */
    static final class PoisonOrder extends Exception {
        PoisonOrder(String reason) {
            super(reason, null, false, false);
        }
    }

    private Invoices() {
    }

    /** "inv-" + name-based UUID of the message id: deterministic, and never equal to another order's. */
    static String invoiceId(String messageId) {
        return "inv-" + UUID.nameUUIDFromBytes(("invoice:" + messageId).getBytes(StandardCharsets.UTF_8));
    }

    static Invoice invoice(ConsumerRecord<String, byte[]> record) throws PoisonOrder {
        if (record.value() == null) {
            throw new PoisonOrder("empty value (tombstone)");
        }
        OrderEvent order;
        try {
            order = OrderEvent.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new PoisonOrder("not an OrderEvent: " + e.getMessage());
        }
        String messageId = !order.getMessageId().isEmpty() ? order.getMessageId() : header(record, Topics.HEADER_MESSAGE_ID);
        if (order.getOrderId().isEmpty()) {
            throw new PoisonOrder("order_id: missing");
        }
        if (messageId == null || messageId.isEmpty()) {
            throw new PoisonOrder("message_id: missing");
        }
        if (!Double.isFinite(order.getTotalAmount())) {
            throw new PoisonOrder("total_amount: not a finite number");
        }
        BigDecimal net = BigDecimal.valueOf(order.getTotalAmount()).setScale(2, RoundingMode.HALF_EVEN).movePointRight(2);
        if (net.abs().compareTo(MAX_CENTS) > 0) {
            throw new PoisonOrder("total_amount: out of range");
        }
        long netCents = net.longValueExact();
        long taxCents = BigDecimal.valueOf(netCents * TAX_RATE_PERCENT).divide(BigDecimal.valueOf(100), 0,
                RoundingMode.HALF_EVEN).longValueExact();
        Invoice.Builder invoice = Invoice.newBuilder()
                .setInvoiceId(invoiceId(messageId))
                .setOrderId(order.getOrderId())
                .setMessageId(messageId)
                .setCustomerId(order.getCustomerId())
                .setNetCents(netCents)
                .setTaxCents(taxCents)
                .setGrossCents(netCents + taxCents)
                .setTaxRatePercent(TAX_RATE_PERCENT)
                .setCurrency(CURRENCY)
                .setLineCount(order.getItemsCount());
        if (order.hasProducedAt()) {
            invoice.setOrderedAt(order.getProducedAt());
        }
        return invoice.build();
    }

    static String header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
