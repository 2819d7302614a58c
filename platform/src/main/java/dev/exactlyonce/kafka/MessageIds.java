package dev.exactlyonce.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * The message id of a client-keyed order: a name-based UUID of the idempotency key, so every
 * attempt of the same order (a client retry after a lost reply, a PlaceOrderBatch sent again)
 * carries the same message id and the consumer's processed_messages dedup absorbs it.
 *
 * <p>A key belongs to its caller: the key is the customer AND the order id, as payment APIs scope
 * an idempotency key to the account that sent it. The same order id from two customers is two
 * orders with two message ids, never one customer's order refused or swallowed as the other's
 * retry. The name hashed is {@code customer_id + "/" + order_id}: unambiguous because an order id
 * never contains "/" (see {@code OrderContract}), so the last "/" separates the two.
 *
 * <p>Version 5 (SHA-1, RFC 9562 §5.5) rather than version 3 (MD5, {@link UUID#nameUUIDFromBytes}):
 * the RFC prefers v5 when both would do; neither is used for secrecy here, only as a stable 122-bit
 * hash whose collisions between different order ids are negligible. The namespace is fixed forever:
 * changing it would give old and new attempts of one order different ids. Any v5 implementation
 * reproduces the ids (Python: {@code uuid.uuid5(UUID('6f1c2b8e-3d4a-4f0e-9b7a-2c5d8e1f0a93'),
 * customer_id + "/" + order_id)}).
 *
 * <p>The order id is used as it is: no trimming, no case folding. {@code A-1} and {@code a-1} are
 * two keys (normalising would turn two clients' different orders into one key and a conflict).
 */
public final class MessageIds {

    /** The namespace of order ids (a random UUID chosen once for this project). */
    public static final UUID ORDER_ID_NAMESPACE =
            UUID.fromString("6f1c2b8e-3d4a-4f0e-9b7a-2c5d8e1f0a93");

    private MessageIds() {}

    /**
     * The message id every attempt of this customer's order with this client-supplied order id
     * carries.
     */
    public static String forClientKey(String customerId, String orderId) {
        if (orderId == null || orderId.isEmpty()) {
            throw new IllegalArgumentException(
                    "a client order id is required; generated ids get random message ids");
        }
        if (orderId.indexOf('/') >= 0) {
            throw new IllegalArgumentException(
                    "an order id never contains '/': it separates the customer from the order id");
        }
        return nameBasedV5(
                        ORDER_ID_NAMESPACE,
                        (customerId + "/" + orderId).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    static UUID nameBasedV5(UUID namespace, byte[] name) {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-1", e);
        }
        sha1.update(
                ByteBuffer.allocate(16)
                        .putLong(namespace.getMostSignificantBits())
                        .putLong(namespace.getLeastSignificantBits())
                        .array());
        sha1.update(name);
        ByteBuffer hash = ByteBuffer.wrap(sha1.digest());
        long high = hash.getLong();
        long low = hash.getLong();
        high = (high & ~0xF000L) | 0x5000L; // version 5
        low = (low & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // RFC variant
        return new UUID(high, low);
    }
}
