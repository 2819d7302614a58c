package dev.exactlyonce.server;

/** Who may call an RPC, by what it does: the classes of {@link RpcClasses}' table. */
public enum RpcClass {

    /** Placing orders: open unless {@code app.control.orders-require-token}. */
    PLACE_ORDER,

    /**
     * Reading state (configs, stats, orders, the audit): open unless {@code
     * app.control.reads-require-token}.
     */
    READ,

    /**
     * Changing any state other than placing orders (modes, crash drills, resets, benchmarks):
     * always the token.
     */
    CONTROL,

    /** gRPC health and reflection: what probes and {@code grpcurl list} need; always open. */
    INFRASTRUCTURE
}
