package dev.exactlyonce.query;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The argument checks the RPCs share. Each RPC checks its request before any work; a refusal is
 * INVALID_ARGUMENT and its description starts with the field's name: {@code "limit: must be 1..500,
 * was 501"}.
 */
final class ArgumentChecks {

    static final int MAX_LIMIT = 500;
    static final int MAX_ID_LENGTH = 64;

    private ArgumentChecks() {}

    static StatusRuntimeException invalid(String field, String reason) {
        return Status.INVALID_ARGUMENT.withDescription(field + ": " + reason).asRuntimeException();
    }

    /** A page or list size: 1..{@value #MAX_LIMIT}. */
    static int limit(String field, int value) {
        if (value < 1 || value > MAX_LIMIT) {
            throw invalid(field, "must be 1.." + MAX_LIMIT + ", was " + value);
        }
        return value;
    }

    /** An order or customer id: not blank, at most {@value #MAX_ID_LENGTH} characters. */
    static String id(String field, String value) {
        if (value.isBlank()) {
            throw invalid(field, "must not be empty");
        }
        if (value.length() > MAX_ID_LENGTH) {
            throw invalid(field, "at most " + MAX_ID_LENGTH + " characters, has " + value.length());
        }
        return value;
    }
}
