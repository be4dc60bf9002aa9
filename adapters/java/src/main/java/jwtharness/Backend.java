package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;

/** One library behind the protocol: {@link Main} picks it by name. */
interface Backend {

    /**
     * Validate one request with the library. Returns the claims to send with
     * the {@code accept} (or null); throws {@link Protocol.Unsupported} when the
     * policy cannot be expressed, {@link Protocol.Reject} for a rejection the
     * adapter decides, and whatever the library throws otherwise.
     */
    JsonNode validate(Request request) throws Exception;

    /** The protocol reason for something the library threw ({@code other} if unknown). */
    String reasonOf(Throwable error);
}
