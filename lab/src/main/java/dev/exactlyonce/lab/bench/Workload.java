package dev.exactlyonce.lab.bench;

/** The two ways the bench offers orders. */
public enum Workload {
    /**
     * Unary PlaceOrder calls from many concurrent clients: per-order latency, group commit at work.
     */
    PLACE_ORDER,
    /** StreamOrders client streams, each sending a batch of orders: bulk ingestion. */
    STREAM_ORDERS
}
