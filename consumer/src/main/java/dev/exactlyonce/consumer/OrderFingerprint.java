package dev.exactlyonce.consumer;

import dev.exactlyonce.grpc.v1.OrderItem;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * What makes an order that order, as 32 bytes: SHA-256 over a canonical encoding of customer_id,
 * the items (in the order placed: name, quantity, price) and total_amount. Kept beside the dedup
 * row, so a second record with the same message id is told apart: same fingerprint, a retry (a
 * duplicate to skip); another fingerprint, a key reused for a different order (a conflict to
 * record).
 *
 * <p>Left out on purpose: the ids (the key is what is being checked), produced_at, delivery mode,
 * producer and batch id — every attempt of one order differs in those.
 *
 * <p>Canonical: each string is its UTF-8 length then its bytes (no separator can be forged inside a
 * name); numbers as their decimal value ({@code 19.9} and {@code 19.90} are one price, so prices
 * are stripped of trailing zeros and the total is the 2-decimal amount the orders table stores).
 * The leading tag versions the encoding: a change to it must not make old retries look like
 * conflicts.
 */
final class OrderFingerprint {

    private static final byte[] TAG = "order-fingerprint-v1".getBytes(StandardCharsets.US_ASCII);

    private OrderFingerprint() {}

    static byte[] of(String customerId, List<OrderItem> items, BigDecimal totalAmount) {
        ByteArrayOutputStream canonical = new ByteArrayOutputStream(64 + 32 * items.size());
        string(canonical, new String(TAG, StandardCharsets.US_ASCII));
        string(canonical, customerId);
        integer(canonical, items.size());
        for (OrderItem item : items) {
            string(canonical, item.getName());
            integer(canonical, item.getQuantity());
            string(canonical, decimal(BigDecimal.valueOf(item.getPrice())));
        }
        string(canonical, totalAmount.toPlainString());
        try {
            return MessageDigest.getInstance("SHA-256").digest(canonical.toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }

    private static String decimal(BigDecimal value) {
        return value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
    }

    private static void string(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        integer(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void integer(ByteArrayOutputStream out, int value) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
    }
}
