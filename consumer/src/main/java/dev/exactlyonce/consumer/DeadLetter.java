package dev.exactlyonce.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A record that goes to orders.dlq: undecodable, invalid, or failed max_attempts times. */
record DeadLetter(ConsumerRecord<String, byte[]> source, String error, int attempts) {
}
