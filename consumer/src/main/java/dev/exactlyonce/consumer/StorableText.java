package dev.exactlyonce.consumer;

/**
 * Text that came from outside (an error message quoting a record) made storable in a PostgreSQL
 * text column: NUL, which PostgreSQL cannot hold, and unpaired surrogates, which UTF-8 cannot
 * encode, become U+FFFD. Everything else is kept as it is.
 */
final class StorableText {

    private StorableText() {}

    static String of(String text) {
        StringBuilder storable = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean unpaired =
                    Character.isHighSurrogate(c)
                            ? i + 1 >= text.length()
                                    || !Character.isLowSurrogate(text.charAt(i + 1))
                            : Character.isLowSurrogate(c)
                                    && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
            if (c == '\u0000' || unpaired) {
                if (storable == null) {
                    storable = new StringBuilder(text);
                }
                storable.setCharAt(i, '\uFFFD');
            }
        }
        return storable == null ? text : storable.toString();
    }
}
