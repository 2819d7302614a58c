package dev.exactlyonce.kafka;

import org.apache.kafka.common.errors.RetriableException;

/**
 * No name in {@code bootstrap.servers} resolves (yet): kafka-clients would refuse to construct a
 * client ({@code ConfigException: No resolvable bootstrap urls given in bootstrap.servers}). On
 * Kubernetes that is a broker pod without an IP yet, or a Service not created yet: retriable, so
 * {@link KafkaBootstrap} throws this instead, and callers that retry Kafka's retriable errors retry
 * it too.
 */
public class UnresolvableBootstrapException extends RetriableException {

    public UnresolvableBootstrapException(String message) {
        super(message);
    }

    public UnresolvableBootstrapException(String message, Throwable cause) {
        super(message, cause);
    }
}
