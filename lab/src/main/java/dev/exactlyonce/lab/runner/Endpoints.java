package dev.exactlyonce.lab.runner;

import java.util.List;
import java.util.stream.IntStream;

/** The gRPC addresses of a running pipeline: the lab's children, or a kind cluster's NodePorts. */
public record Endpoints(
        String host,
        int producerPort,
        List<Integer> consumerPorts,
        int billingPort,
        int queryPort) {

    public static Endpoints of(String host, ServicePorts ports, int consumers) {
        return new Endpoints(
                host,
                ports.producerGrpc(),
                IntStream.range(0, consumers).mapToObj(ports::consumerGrpc).toList(),
                ports.billingGrpc(),
                ports.queryGrpc());
    }

    public String billing() {
        return host + ":" + billingPort;
    }

    public String producer() {
        return host + ":" + producerPort;
    }

    public String consumer() {
        return host + ":" + consumerPorts.get(0);
    }

    public String query() {
        return host + ":" + queryPort;
    }
}
