package dev.exactlyonce.consumer;

import java.nio.charset.StandardCharsets;

/**
 * Rows in PostgreSQL's COPY text format (tab between columns, newline after each row), for {@code
 * COPY … FROM STDIN}. Values are escaped as that format requires: a backslash, tab, newline or
 * carriage return inside a value (a JSON string escape in an item name, say) would otherwise end a
 * column or a row early. NULL is never written: every column the consumer copies is NOT NULL.
 */
final class CopyText {

    private final StringBuilder text;
    private boolean rowStarted;

    CopyText(int expectedRows, int bytesPerRow) {
        this.text = new StringBuilder(expectedRows * bytesPerRow);
    }

    CopyText column(String value) {
        separate();
        if (!needsEscaping(value)) {
            // the common case, ids and JSON without control characters or backslashes: one bulk
            // append
            text.append(value);
            return this;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                default -> text.append(c);
            }
        }
        return this;
    }

    CopyText column(long value) {
        separate();
        text.append(value);
        return this;
    }

    CopyText endRow() {
        text.append('\n');
        rowStarted = false;
        return this;
    }

    private void separate() {
        if (rowStarted) {
            text.append('\t');
        }
        rowStarted = true;
    }

    private static boolean needsEscaping(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }

    byte[] toUtf8() {
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
