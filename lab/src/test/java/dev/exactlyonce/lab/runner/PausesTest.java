package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SIGSTOP and SIGCONT on a real process (sleep), and continueAll as the safety net. */
class PausesTest {

    @Test
    void aStoppedProcessIsContinuedByContinueAll() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            long pid = sleeper.pid();
            Pauses.stop(List.of(pid));
            await().atMost(Duration.ofSeconds(5)).until(() -> Pauses.isStopped(pid));
            assertThat(Pauses.stopped()).contains(pid);

            Pauses.continueAll(); // what the finally blocks and the shutdown hook call

            await().atMost(Duration.ofSeconds(5)).until(() -> !Pauses.isStopped(pid));
            assertThat(Pauses.stopped()).doesNotContain(pid);
            assertThat(sleeper.isAlive()).isTrue();
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void pidsThatNameGroupsOrEveryProcessAreRefused() {
        // kill -STOP -1 would stop every process root may signal, 0 this JVM's process group
        for (long pid : List.of(-1L, 0L, 1L)) {
            assertThatThrownBy(() -> Pauses.stop(List.of(pid)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Pauses.stopped()).isEmpty();
    }
}
