package jwtharness;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.IncorrectClaimException;
import com.auth0.jwt.exceptions.JWTDecodeException;
import com.auth0.jwt.exceptions.MissingClaimException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.Verification;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * java-jwt 4.6.2 (auth0), configured as its README and EXAMPLES.md show:
 * {@code JWT.require(Algorithm.X(key)).withIssuer(..).withAnyOfAudience(..)
 * .acceptLeeway(..)}, {@code withClaimPresence} for each required claim, built
 * with {@code BaseVerification.build(Clock)} (EXAMPLES.md, "DateTime Claim
 * Validation") at the request's {@code now}, then {@code verify(token)}.
 *
 * <p>A verifier holds one {@code Algorithm}, i.e. one algorithm and one key,
 * and java-jwt has no JWK support. So the adapter: reads the header with
 * {@code JWT.decode} (no verification), refuses an {@code alg} that is not
 * allowlisted, picks the candidate JWKs ({@link Glue#candidates}: by kid, else
 * by kty), converts each to a JCA key ({@link Glue#jcaKey}) and builds the
 * {@code Algorithm} for the header's (allowlisted) alg with it. java-jwt then
 * checks that the token's alg equals the verifier's (JWTVerifier
 * verifyAlgorithm), verifies the signature and the claims. typ: no option in
 * java-jwt, checked by the adapter on the verified header.
 */
final class JavaJwtBackend implements Backend {

    private static final String LIBRARY = "java-jwt 4.6.2";

    /** The algorithms with an {@code Algorithm} factory in 4.6.2 (no EdDSA). */
    private static final Set<String> SUPPORTED = Set.of(
            "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512");

    @Override
    public JsonNode validate(Request request) throws Exception {
        Request.Policy policy = request.policy;
        policy.checkSupported(SUPPORTED, LIBRARY);
        String token = request.token();

        DecodedJWT header = JWT.decode(token); // JWTDecodeException: malformed
        String alg = header.getAlgorithm();
        if (alg == null || !policy.algorithms.contains(alg)) {
            throw new Protocol.Reject("algorithm", Protocol.truncate("alg "
                    + (alg == null ? "(absent or not a string)" : Glue.quote(alg)) + " is not in the allowlist "
                    + policy.algorithms));
        }
        Claim kid = header.getHeaderClaim("kid");
        List<ObjectNode> candidates = Glue.candidates(policy.keys, Glue.RAW, !kid.isMissing(), kid.asString(),
                alg, policy.algorithms);

        Clock clock = Clock.fixed(Instant.ofEpochSecond(request.now), ZoneOffset.UTC);
        DecodedJWT verified = Glue.tryCandidates(candidates, jwk -> {
            Verification v = JWT.require(algorithm(alg, Glue.jcaKey(jwk)));
            if (policy.issuer != null) {
                v.withIssuer(policy.issuer);
            }
            if (policy.audience != null) {
                v.withAnyOfAudience(policy.audience.toArray(new String[0]));
            }
            v.acceptLeeway(policy.leeway);
            for (String name : policy.requiredWithExpectations()) {
                v.withClaimPresence(name);
            }
            JWTVerifier verifier = ((JWTVerifier.BaseVerification) v).build(clock);
            return verifier.verify(token);
        }, this);
        Glue.checkTyp(policy, verified.getType());
        Map<String, Object> claims = new LinkedHashMap<>();
        verified.getClaims().forEach((name, c) -> claims.put(name, c.isNull() ? null : c.as(Object.class)));
        return Protocol.claimsOf(claims);
    }

    /** java-jwt's Algorithm for an allowlisted alg and a key of the type it needs (else reject key). */
    private static Algorithm algorithm(String alg, Key key) throws Protocol.Reject {
        boolean fits = switch (alg.substring(0, 2)) {
            case "HS" -> key instanceof SecretKey;
            case "RS", "PS" -> key instanceof RSAPublicKey;
            case "ES" -> key instanceof ECPublicKey;
            default -> false;
        };
        if (!fits) {
            throw new Protocol.Reject("key", "the selected JWK (" + key.getAlgorithm() + ") does not fit " + alg);
        }
        return switch (alg) {
            case "HS256" -> Algorithm.HMAC256(key.getEncoded());
            case "HS384" -> Algorithm.HMAC384(key.getEncoded());
            case "HS512" -> Algorithm.HMAC512(key.getEncoded());
            case "RS256" -> Algorithm.RSA256((RSAPublicKey) key, null);
            case "RS384" -> Algorithm.RSA384((RSAPublicKey) key, null);
            case "RS512" -> Algorithm.RSA512((RSAPublicKey) key, null);
            case "PS256" -> Algorithm.RSA256PSS((RSAPublicKey) key, null);
            case "PS384" -> Algorithm.RSA384PSS((RSAPublicKey) key, null);
            case "PS512" -> Algorithm.RSA512PSS((RSAPublicKey) key, null);
            case "ES256" -> Algorithm.ECDSA256((ECPublicKey) key, null);
            case "ES384" -> Algorithm.ECDSA384((ECPublicKey) key, null);
            case "ES512" -> Algorithm.ECDSA512((ECPublicKey) key, null);
            default -> throw new Protocol.Reject("algorithm", "no java-jwt Algorithm for " + alg);
        };
    }

    /** From java-jwt's exception classes (com.auth0.jwt.exceptions), most specific first. */
    @Override
    public String reasonOf(Throwable error) {
        if (error instanceof AlgorithmMismatchException) {
            return "algorithm";
        }
        if (error instanceof SignatureVerificationException) {
            return "signature";
        }
        if (error instanceof TokenExpiredException) {
            return "expired";
        }
        if (error instanceof MissingClaimException) {
            return "missing_claim";
        }
        if (error instanceof IncorrectClaimException) {
            String claim = ((IncorrectClaimException) error).getClaimName();
            if ("iss".equals(claim)) {
                return "issuer";
            }
            if ("aud".equals(claim)) {
                return "audience";
            }
            if ("nbf".equals(claim) || "iat".equals(claim)) {
                return "not_yet_valid";
            }
            return "other";
        }
        if (error instanceof JWTDecodeException) {
            // Claim.asInstant() on exp/nbf/iat of the wrong type, else an undecodable token.
            String msg = String.valueOf(error.getMessage());
            return msg.contains("claim") || msg.contains("Claim") ? "claim_type" : "malformed";
        }
        if (error instanceof IllegalArgumentException) {
            return "key"; // Algorithm factories: a key they refuse
        }
        return "other";
    }
}
