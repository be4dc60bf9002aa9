package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;

import java.text.ParseException;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * nimbus-jose-jwt, configured as Spring Security's {@code NimbusJwtDecoder}
 * configures it for a JWK source ({@code NimbusJwtDecoder.withJwkSource(...)
 * .jwsAlgorithms(...)}, Spring Security 7): {@code JWTParser.parse}, a plain
 * (alg none) JWT refused before processing, then a {@link DefaultJWTProcessor}
 * whose {@link JWSVerificationKeySelector} picks keys from an
 * {@link ImmutableJWKSet} of the policy's JWK Set for the allowlisted
 * algorithms. Where Spring plugs its own claim validators into that processor,
 * this adapter uses nimbus's {@link DefaultJWTClaimsVerifier} (exact-match iss,
 * accepted audiences, required claims, max clock skew = leeway) and, for a
 * required typ, nimbus's {@link DefaultJOSEObjectTypeVerifier}.
 *
 * <p>Clock: request ({@link DefaultJWTClaimsVerifier#currentTime()} is
 * overridden, the extension point its Javadoc names for "an alternative time
 * provider").
 */
final class NimbusBackend implements Backend {

    private static final String LIBRARY = "nimbus-jose-jwt 10.10";

    /** What DefaultJWTProcessor can verify: its DefaultJWSVerifierFactory's algorithms. */
    private static final Set<String> SUPPORTED = DefaultJWSVerifierFactory.SUPPORTED_ALGORITHMS.stream()
            .map(JWSAlgorithm::getName).collect(Collectors.toSet());

    /** Spring's NO_TYPE_VERIFIER: any typ, or none, when the policy requires none. */
    private static final JOSEObjectTypeVerifier<SecurityContext> NO_TYPE_VERIFIER = (type, context) -> {
    };

    /** The allowlist of the request being processed (to tell "algorithm" from "key"). */
    private JWSVerificationKeySelector<SecurityContext> selector;
    private JWT parsed;

    @Override
    public JsonNode validate(Request request) throws Exception {
        Request.Policy policy = request.policy;
        policy.checkSupported(SUPPORTED, LIBRARY);
        selector = null;
        parsed = null;
        String token = request.token();

        JWKSet jwkSet;
        try {
            jwkSet = JWKSet.parse(policy.jwksJson());
        } catch (ParseException e) {
            throw new Protocol.Reject("key", Protocol.describe(e));
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        for (String a : policy.algorithms) {
            algorithms.add(JWSAlgorithm.parse(a));
        }
        selector = new JWSVerificationKeySelector<>(algorithms, new ImmutableJWKSet<>(jwkSet));

        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(selector);
        processor.setJWSTypeVerifier(policy.typ == null ? NO_TYPE_VERIFIER
                : new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType(policy.typ)));
        JWTClaimsSet exactMatch = policy.issuer == null ? null
                : new JWTClaimsSet.Builder().issuer(policy.issuer).build();
        Set<String> audiences = policy.audience == null ? null : new HashSet<>(policy.audience);
        DefaultJWTClaimsVerifier<SecurityContext> claims = new RequestTimeClaimsVerifier(
                audiences, exactMatch, new HashSet<>(policy.requiredWithExpectations()), request.now);
        claims.setMaxClockSkew((int) policy.leeway);
        processor.setJWTClaimsSetVerifier(claims);

        // NimbusJwtDecoder.decode: parse, refuse a PlainJWT, then process.
        parsed = JWTParser.parse(token);
        if (parsed instanceof PlainJWT) {
            throw new Protocol.Reject("algorithm", "Unsupported algorithm of " + parsed.getHeader().getAlgorithm());
        }
        JWTClaimsSet accepted = processor.process(parsed, null);
        return Protocol.claimsOf(accepted.toJSONObject());
    }

    /** DefaultJWTClaimsVerifier at the request's {@code now}. */
    private static final class RequestTimeClaimsVerifier extends DefaultJWTClaimsVerifier<SecurityContext> {
        private final long now;

        RequestTimeClaimsVerifier(Set<String> audience, JWTClaimsSet exactMatch, Set<String> required, long now) {
            super(audience, exactMatch, required, null);
            this.now = now;
        }

        @Override
        protected Date currentTime() {
            return new Date(now * 1000L);
        }
    }

    /**
     * nimbus has few exception classes (BadJWTException carries every claim
     * failure), so the message is the signal where the class is not; messages
     * from jwt/proc/DefaultJWTClaimsVerifier.java verify() and
     * jwt/proc/DefaultJWTProcessor.java process(SignedJWT).
     */
    @Override
    public String reasonOf(Throwable error) {
        String msg = error.getMessage() == null ? "" : error.getMessage();
        if (error instanceof ParseException) {
            return "malformed"; // JWTParser.parse: not a compact JWT, bad base64url, header not JSON
        }
        if (error instanceof ExpiredJWTException) {
            return "expired";
        }
        if (error instanceof BadJWTException) {
            if (msg.startsWith("JWT before use time")) {
                return "not_yet_valid";
            }
            if (msg.startsWith("JWT aud claim rejected")) {
                return "audience";
            }
            if (msg.startsWith("JWT missing required")) {
                return "missing_claim"; // "... aud claim" and "... claims: [..]"
            }
            if (msg.startsWith("JWT iss claim value rejected")) {
                return "issuer";
            }
            if (error.getCause() instanceof ParseException) {
                // extractJWTClaimsSet: JWTClaimsSet.parse failed on a registered claim of the
                // wrong type ("Illegal aud claim", "Unexpected type of JSON object member exp",
                // "... is not an array of strings"), else the payload is not a JSON object.
                boolean type = msg.startsWith("Illegal ") || msg.contains("Unexpected type of JSON object member")
                        || msg.contains("is not an array of strings");
                return type ? "claim_type" : "malformed";
            }
            return "other";
        }
        if (error instanceof BadJWSException) {
            return "signature"; // "Signed JWT rejected: Invalid signature"
        }
        if (error instanceof KeySourceException) {
            return "key";
        }
        if (error instanceof BadJOSEException) {
            if (msg.contains("typ (type)")) {
                return "other"; // DefaultJOSEObjectTypeVerifier
            }
            if (msg.contains("Another algorithm expected, or no matching key(s) found")) {
                // One message for both; JWSVerificationKeySelector.isAllowed tells them apart.
                boolean allowed = selector != null && parsed instanceof SignedJWT
                        && selector.isAllowed(((SignedJWT) parsed).getHeader().getAlgorithm());
                return allowed ? "key" : "algorithm";
            }
            if (msg.startsWith("Encrypted JWT rejected")) {
                return "malformed"; // a JWE where a JWS is expected
            }
            if (msg.contains("No matching verifier")) {
                return "key";
            }
            return "other";
        }
        if (error instanceof JOSEException) {
            return "key"; // DefaultJWSVerifierFactory: key unusable for the alg (KeyLengthException, ...)
        }
        return "other";
    }
}
