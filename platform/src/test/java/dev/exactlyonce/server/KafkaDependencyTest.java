package dev.exactlyonce.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.exactlyonce.kafka.KafkaConnection;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KafkaDependencyTest {

    @Test
    void anAdminThatFailsEveryCheckForTooLongIsReplaced() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // nothing listens there once closed
        }
        KafkaDependency kafka =
                new KafkaDependency(KafkaConnection.plaintext("127.0.0.1:" + port), Duration.ZERO);
        try {
            assertThat(catchThrowable(kafka::check)).isNotNull();
            assertThat(kafka.adminsCreated()).isEqualTo(1);
            // the second failing check finds the first failure older than REPLACE_AFTER (0 here)
            assertThat(catchThrowable(kafka::check)).isNotNull();
            assertThat(catchThrowable(kafka::check)).isNotNull();
            assertThat(kafka.adminsCreated()).isEqualTo(2);
        } finally {
            kafka.close();
        }
    }
}
