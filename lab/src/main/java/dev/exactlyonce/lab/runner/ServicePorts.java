package dev.exactlyonce.lab.runner;

/**
 * Where the services listen, the layout of ARCHITECTURE.md: producer gRPC base+0, consumer base+1,
 * billing base+2, query base+3, management ports likewise from their own base. Consumer and billing
 * replica i add 10*i (consumer-1 on 8011/9011, billing-1 on 8012/9012), so three replicas fit
 * without overlapping the producer or the query.
 */
public record ServicePorts(int grpcBase, int managementBase) {

    public static final ServicePorts DEFAULT = new ServicePorts(8000, 9000);
    public static final int MAX_CONSUMERS = 3;

    public int producerGrpc() {
        return grpcBase;
    }

    public int producerManagement() {
        return managementBase;
    }

    public int consumerGrpc(int replica) {
        return grpcBase + 1 + 10 * replica;
    }

    public int consumerManagement(int replica) {
        return managementBase + 1 + 10 * replica;
    }

    public int billingGrpc() {
        return billingGrpc(0);
    }

    public int billingManagement() {
        return billingManagement(0);
    }

    public int billingGrpc(int replica) {
        return grpcBase + 2 + 10 * replica;
    }

    public int billingManagement(int replica) {
        return managementBase + 2 + 10 * replica;
    }

    public int queryGrpc() {
        return grpcBase + 3;
    }

    public int queryManagement() {
        return managementBase + 3;
    }
}
