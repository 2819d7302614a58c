package dev.exactlyonce.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class PageTokenTest {

    @Test
    void roundTripsTheLastId() {
        assertThat(PageToken.decode(PageToken.after(42))).isEqualTo(42);
        assertThat(PageToken.decode("")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void rejectsTokensItDidNotMake() {
        for (String token : new String[] {"%%%", "NDI", PageToken.after(0), "YWZ0ZXI6eA"}) {
            assertThatIllegalArgumentException().isThrownBy(() -> PageToken.decode(token));
        }
    }
}
