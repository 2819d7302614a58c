package dev.exactlyonce.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * COPY's text format: columns by tab, rows by newline, and the four characters that would break
 * them escaped.
 */
class CopyTextTest {

    @Test
    void columnsAreTabSeparatedAndRowsNewlineTerminated() {
        String text =
                new CopyText(2, 16)
                        .column("a")
                        .column(7)
                        .endRow()
                        .column("b")
                        .column(-1L)
                        .endRow()
                        .toString();

        assertThat(text).isEqualTo("a\t7\nb\t-1\n");
    }

    @Test
    void backslashTabNewlineAndCarriageReturnAreEscaped() {
        String text = new CopyText(1, 16).column("x\\y\tz\nw\rv").column("\\N").endRow().toString();

        // \N alone would be NULL: escaped, it stays the two characters
        assertThat(text).isEqualTo("x\\\\y\\tz\\nw\\rv\t\\\\N\n");
    }

    @Test
    void nonAsciiTextIsUtf8() {
        byte[] bytes = new CopyText(1, 16).column("ünï ✓").endRow().toUtf8();

        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("ünï ✓\n");
    }
}
