package dev.exactlyonce.producer;

/**
 * The message ids acknowledged recently, so that the acknowledged count counts orders, not calls: a
 * client that retries an order with the same order_id gets the same message id, and its second
 * acknowledgement is not a second order.
 *
 * <p>Bounded: it remembers the last {@link #CAPACITY} distinct message ids (FIFO: the oldest is
 * forgotten first), as 64-bit hashes in two primitive arrays allocated once (a ring of insertion
 * order and an open-addressing table at load factor 1/2; 6 MiB in all). A retry of an order
 * acknowledged more than {@code CAPACITY} distinct orders earlier counts again. Two different
 * message ids share a hash with a probability of about 2^-46 within the window (one order then
 * counts once too few).
 */
final class AcknowledgedOrders {

    /** Distinct message ids remembered. */
    static final int CAPACITY = 1 << 18;

    /** Never a hash: marks a free slot. */
    private static final long FREE = 0;

    private final int capacity;
    private final long[] order;
    private final long[] table;
    private final int mask;
    private int oldest;
    private int size;

    AcknowledgedOrders() {
        this(CAPACITY);
    }

    /**
     * @param capacity a power of two
     */
    AcknowledgedOrders(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, was " + capacity);
        }
        this.capacity = capacity;
        this.order = new long[capacity];
        this.table = new long[capacity * 2];
        this.mask = table.length - 1;
    }

    /**
     * Records an acknowledged message id.
     *
     * @return true when it is a new order (not acknowledged within the window), so it counts
     */
    synchronized boolean firstAcknowledgement(String messageId) {
        long hash = hash(messageId);
        int slot = slotOf(hash);
        if (table[slot] == hash) {
            return false;
        }
        if (size == capacity) {
            remove(order[oldest]);
            size--;
            slot = slotOf(hash); // the removal may have moved the free slot
        }
        table[slot] = hash;
        order[(oldest + size) & (capacity - 1)] = hash;
        size++;
        return true;
    }

    /** How many distinct message ids are remembered now (at most {@link #CAPACITY}). */
    synchronized int size() {
        return size;
    }

    /** The slot holding {@code hash}, or the free slot where it belongs (linear probing). */
    private int slotOf(long hash) {
        int slot = (int) hash & mask;
        while (table[slot] != FREE && table[slot] != hash) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /**
     * Removes the oldest entry and closes the gap it leaves (backward-shift deletion keeps probing
     * exact).
     */
    private void remove(long hash) {
        oldest = (oldest + 1) & (capacity - 1);
        int gap = slotOf(hash);
        int next = (gap + 1) & mask;
        while (table[next] != FREE) {
            int home = (int) table[next] & mask;
            // move the entry back when its home is not in (gap, next] (cyclically)
            boolean movable =
                    gap <= next ? (home <= gap || home > next) : (home <= gap && home > next);
            if (movable) {
                table[gap] = table[next];
                gap = next;
            }
            next = (next + 1) & mask;
        }
        table[gap] = FREE;
    }

    /** FNV-1a over the UTF-16 units, then MurmurHash3's finalizer; never {@link #FREE}. */
    static long hash(String messageId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < messageId.length(); i++) {
            h ^= messageId.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == FREE ? 1 : h;
    }
}
