package dev.exactlyonce.lab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {

    @Test
    void columnsAreAsWideAsTheirWidestCellAndNumbersAlignRight() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TextTable.print(
                new PrintStream(bytes, true, StandardCharsets.UTF_8),
                List.of("mode", "lost", "ok"),
                List.of(List.of("EXACTLY_ONCE", "0", "✓"), List.of("AT_MOST_ONCE", "14", "✓")),
                1,
                1);

        assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
                .containsExactly(
                        "mode          lost  ok", "EXACTLY_ONCE     0  ✓", "AT_MOST_ONCE    14  ✓");
    }
}
