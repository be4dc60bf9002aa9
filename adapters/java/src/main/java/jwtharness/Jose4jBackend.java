package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwa.AlgorithmFactoryFactory;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.ErrorCodeValidator;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.InvalidJwtSignatureException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.lang.InvalidAlgorithmException;
import org.jose4j.lang.InvalidKeyException;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

import java.util.List;
import java.util.Set;

/**
 * jose4j 0.9.7, configured as its documentation's JwtConsumerBuilder examples
 * do: {@code setVerificationKeyResolver(new JwksVerificationKeyResolver(keys))}
 * over the policy's JWK Set read by {@code new JsonWebKeySet(json)} (the
 * library's own key selection), {@code setJwsAlgorithmConstraints(PERMIT,
 * allowlist)}, {@code setExpectedIssuer(true, iss)}, {@code
 * setExpectedAudience(true, aud...)}, {@code setAllowedClockSkewInSeconds},
 * {@code setEvaluationTime} (clock: request), {@code setRequireExpirationTime}
 * / {@code setRequireNotBefore} / {@code setRequireIssuedAt} /
 * {@code setRequireSubject} / {@code setRequireJwtId} for the required claims
 * that have one, and {@code setExpectedType(true, typ)}.
 *
 * <p>Two opt-ins of the library are used: the resolver's
 * {@code setDisambiguateWithVerifySignature(true)} (several keys match a header,
 * e.g. no kid: try each, the library's own answer to that case) and
 * {@code setSkipVerificationKeyResolutionOnNone()} (alg none is then refused by
 * the algorithm constraints rather than by a failed key lookup).
 */
final class Jose4jBackend implements Backend {

    private static final String LIBRARY = "jose4j 0.9.7";

    /** What this JVM lets jose4j verify (it probes the JCA for each algorithm). */
    private static final Set<String> SUPPORTED =
            AlgorithmFactoryFactory.getInstance().getJwsAlgorithmFactory().getSupportedAlgorithms();

    @Override
    public JsonNode validate(Request request) throws Exception {
        Request.Policy policy = request.policy;
        policy.checkSupported(SUPPORTED, LIBRARY);
        String token = request.token();

        List<JsonWebKey> keys;
        try {
            keys = new JsonWebKeySet(policy.jwksJson()).getJsonWebKeys();
        } catch (JoseException e) {
            throw new Protocol.Reject("key", Protocol.describe(e));
        }
        JwksVerificationKeyResolver resolver = new JwksVerificationKeyResolver(keys);
        resolver.setDisambiguateWithVerifySignature(true);

        List<String> required = policy.requiredWithExpectations();
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setVerificationKeyResolver(resolver)
                .setSkipVerificationKeyResolutionOnNone()
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        policy.algorithms.toArray(new String[0]))
                .setAllowedClockSkewInSeconds((int) policy.leeway)
                .setEvaluationTime(NumericDate.fromSeconds(request.now));
        if (policy.issuer != null) {
            builder.setExpectedIssuer(true, policy.issuer);
        } else if (required.contains("iss")) {
            builder.setExpectedIssuers(true, (String[]) null);
        }
        if (policy.audience != null) {
            builder.setExpectedAudience(true, policy.audience.toArray(new String[0]));
        } else {
            // jose4j refuses any aud by default unless an expected audience is set.
            builder.setSkipDefaultAudienceValidation();
        }
        if (required.contains("exp")) {
            builder.setRequireExpirationTime();
        }
        if (required.contains("nbf")) {
            builder.setRequireNotBefore();
        }
        if (required.contains("iat")) {
            builder.setRequireIssuedAt();
        }
        if (required.contains("sub")) {
            builder.setRequireSubject();
        }
        if (required.contains("jti")) {
            builder.setRequireJwtId();
        }
        if (policy.typ != null) {
            builder.setExpectedType(true, policy.typ);
        }
        JwtConsumer consumer = builder.build();
        JwtClaims claims = consumer.processToClaims(token);

        // Required claims jose4j has no option for (none in the shipped policies).
        for (String name : required) {
            if (!List.of("iss", "aud", "exp", "nbf", "iat", "sub", "jti").contains(name) && !claims.hasClaim(name)) {
                throw new Protocol.Reject("missing_claim", "missing required claim " + Glue.quote(name));
            }
        }
        return Protocol.claimsOf(claims.getClaimsMap());
    }

    /**
     * From jose4j's error codes (org.jose4j.jwt.consumer.ErrorCodes) carried by
     * InvalidJwtException, the first one reported; for MISCELLANEOUS (17), the
     * cause's class (org.jose4j.lang).
     */
    @Override
    public String reasonOf(Throwable error) {
        if (error instanceof InvalidJwtSignatureException) {
            return "signature";
        }
        if (!(error instanceof InvalidJwtException)) {
            return "other";
        }
        InvalidJwtException e = (InvalidJwtException) error;
        List<ErrorCodeValidator.Error> details = e.getErrorDetails();
        int code = details == null || details.isEmpty() ? 17 : details.get(0).getErrorCode();
        switch (code) {
            case 1: // EXPIRED
                return "expired";
            case 6: // NOT_YET_VALID
            case 23: // ISSUED_AT_INVALID_FUTURE
                return "not_yet_valid";
            case 2: // EXPIRATION_MISSING
            case 3: // ISSUED_AT_MISSING
            case 4: // NOT_BEFORE_MISSING
            case 7: // AUDIENCE_MISSING
            case 11: // ISSUER_MISSING
            case 13: // JWT_ID_MISSING
            case 14: // SUBJECT_MISSING
                return "missing_claim";
            case 8: // AUDIENCE_INVALID
                return "audience";
            case 12: // ISSUER_INVALID
                return "issuer";
            case 9: // SIGNATURE_INVALID
                return "signature";
            case 10: // SIGNATURE_MISSING
                return "algorithm";
            case 16: // JSON_INVALID
                return "malformed";
            case 18: // MALFORMED_CLAIM
                return "claim_type";
            case 17: // MISCELLANEOUS: see the cause
                return reasonOfCause(e.getCause());
            default: // 5, 15, 19-22, 24: too far in the future, sub, typ, encryption/integrity
                return "other";
        }
    }

    private static String reasonOfCause(Throwable cause) {
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof InvalidAlgorithmException) {
                return "algorithm";
            }
            if (c instanceof UnresolvableKeyException || c instanceof InvalidKeyException) {
                return "key";
            }
        }
        if (cause instanceof JoseException) {
            String msg = String.valueOf(cause.getMessage());
            return msg.contains("critical") ? "other" : "malformed";
        }
        return "other";
    }
}
