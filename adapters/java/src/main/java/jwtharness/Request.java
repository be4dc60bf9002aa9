package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One validation request and its policy (docs/PROTOCOL.md, "Request"), read
 * leniently: members of the wrong type count as absent, unknown members are
 * ignored.
 */
final class Request {

    final JsonNode raw;
    /** The token exactly as sent; null when the member is not a string. */
    final String token;
    /** The request's {@code now} in Unix seconds, or the system clock when absent. */
    final long now;
    final Policy policy;

    Request(JsonNode raw) {
        this.raw = raw;
        JsonNode t = raw.get("token");
        this.token = t != null && t.isTextual() ? t.asText() : null;
        JsonNode n = raw.get("now");
        this.now = n != null && n.isNumber() ? n.asLong() : System.currentTimeMillis() / 1000;
        this.policy = new Policy(raw.get("policy"));
    }

    /** The token, or a reject ({@code malformed}) when the request has none. */
    String token() throws Protocol.Reject {
        if (token == null) {
            throw new Protocol.Reject("malformed", "the request's token is not a string");
        }
        return token;
    }

    /** What the validator must enforce (docs/PROTOCOL.md, members of {@code policy}). */
    static final class Policy {
        final List<String> algorithms;
        /** The JWK Set as sent: {@code {"keys": [objects...]}} (non-objects dropped). */
        final ObjectNode jwks;
        final List<ObjectNode> keys;
        final String issuer;
        /** null when the policy names no audience. */
        final List<String> audience;
        final long leeway;
        final List<String> requiredClaims;
        final String typ;

        Policy(JsonNode raw) {
            if (raw == null || !raw.isObject()) {
                raw = Protocol.JSON.createObjectNode();
            }
            this.algorithms = strings(raw.get("algorithms"));
            List<ObjectNode> ks = new ArrayList<>();
            JsonNode set = raw.get("jwks");
            JsonNode list = set != null && set.isObject() ? set.get("keys") : null;
            if (list != null && list.isArray()) {
                for (JsonNode k : list) {
                    if (k.isObject()) {
                        ks.add((ObjectNode) k);
                    }
                }
            }
            this.keys = Collections.unmodifiableList(ks);
            this.jwks = Protocol.JSON.createObjectNode();
            ArrayNode arr = this.jwks.putArray("keys");
            ks.forEach(arr::add);
            JsonNode iss = raw.get("issuer");
            this.issuer = iss != null && iss.isTextual() ? iss.asText() : null;
            JsonNode aud = raw.get("audience");
            List<String> auds = aud != null && aud.isTextual() ? List.of(aud.asText()) : strings(aud);
            this.audience = auds.isEmpty() ? null : auds;
            JsonNode lw = raw.get("leeway");
            long l = lw != null && lw.isNumber() ? lw.asLong() : 0;
            this.leeway = l >= 0 && l <= Integer.MAX_VALUE ? l : 0;
            this.requiredClaims = strings(raw.get("required_claims"));
            JsonNode typ = raw.get("typ");
            this.typ = typ != null && typ.isTextual() ? typ.asText() : null;
        }

        /**
         * required_claims plus iss/aud when an expected value is set: "the exact
         * expected iss" and "aud must contain one of" cannot be met by a token
         * lacking the claim (adapters/README.md, "Expected iss/aud imply presence").
         */
        List<String> requiredWithExpectations() {
            List<String> out = new ArrayList<>(requiredClaims);
            if (issuer != null && !out.contains("iss")) {
                out.add("iss");
            }
            if (audience != null && !out.contains("aud")) {
                out.add("aud");
            }
            return out;
        }

        /** The JWK Set as JSON text, for the libraries' own JWK Set parsers. */
        String jwksJson() {
            return jwks.toString();
        }

        /** Answer {@code unsupported} when an allowlisted algorithm is not implemented. */
        void checkSupported(java.util.Collection<String> implemented, String library) throws Protocol.Unsupported {
            List<String> missing = new ArrayList<>();
            for (String a : algorithms) {
                if (!implemented.contains(a)) {
                    missing.add(a);
                }
            }
            if (!missing.isEmpty()) {
                throw new Protocol.Unsupported("algorithm(s) not implemented by " + library + ": "
                        + String.join(", ", missing));
            }
        }

        private static List<String> strings(JsonNode node) {
            List<String> out = new ArrayList<>();
            if (node != null && node.isArray()) {
                for (JsonNode n : node) {
                    if (n.isTextual()) {
                        out.add(n.asText());
                    }
                }
            }
            return Collections.unmodifiableList(out);
        }
    }
}
