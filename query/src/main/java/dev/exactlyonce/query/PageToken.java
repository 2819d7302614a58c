package dev.exactlyonce.query;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque ListOrders page token: base64url of "after:" and the last row id of the previous page.
 * Clients must not build it; anything that does not decode to a positive id is rejected.
 */
public final class PageToken {

    private static final String PREFIX = "after:";

    private PageToken() {}

    public static String after(long lastId) {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString((PREFIX + lastId).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return the row id the next page starts below; {@link Long#MAX_VALUE} for an empty token
     *     (first page)
     * @throws IllegalArgumentException with the reason when the token was not made by {@link
     *     #after}
     */
    public static long decode(String token) {
        if (token.isEmpty()) {
            return Long.MAX_VALUE;
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "not a token returned by ListOrders (not base64url)");
        }
        if (!text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a token returned by ListOrders");
        }
        try {
            long id = Long.parseLong(text.substring(PREFIX.length()));
            if (id <= 0) {
                throw new IllegalArgumentException(
                        "not a token returned by ListOrders (bad position)");
            }
            return id;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a token returned by ListOrders (bad position)");
        }
    }
}
