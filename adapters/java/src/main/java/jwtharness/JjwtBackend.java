package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.IncorrectClaimException;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwsHeader;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.JwtParserBuilder;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.LocatorAdapter;
import io.jsonwebtoken.MalformedJwtException;
import io.jsonwebtoken.MissingClaimException;
import io.jsonwebtoken.PrematureJwtException;
import io.jsonwebtoken.RequiredTypeException;
import io.jsonwebtoken.UnsupportedJwtException;
import io.jsonwebtoken.io.DeserializationException;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.JwkSet;
import io.jsonwebtoken.security.Jwks;
import io.jsonwebtoken.security.KeyException;
import io.jsonwebtoken.security.MalformedKeySetException;
import io.jsonwebtoken.security.SecureDigestAlgorithm;
import io.jsonwebtoken.security.SignatureException;

import java.security.Key;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * jjwt 0.13.0 (jjwt-api, jjwt-impl, jjwt-jackson), configured as its README
 * recommends: {@code Jwts.parser()} with a {@code keyLocator}, the signature
 * algorithms narrowed to the allowlist through {@code sig()} (README / Javadoc:
 * "useful for removing some algorithms ... not used by the application"),
 * {@code requireIssuer}, {@code requireAudience}, {@code clockSkewSeconds} and
 * {@code clock}, then {@code parseSignedClaims}.
 *
 * <p>Keys: the policy's JWK Set is read by jjwt ({@code Jwks.setParser()}), and
 * each key is converted by jjwt ({@code Jwk.toKey()}). jjwt has no resolver that
 * picks from a {@code JwkSet}: its {@code Locator} is the application's code
 * (README, "Key Locator"), so the locator here does the adapter's selection
 * ({@link Glue#candidates}) over jjwt's parsed JWKs, and the token is parsed
 * again with the next candidate after a signature or key failure.
 *
 * <p>jjwt has no required-claims option beyond {@code requireIssuer}/
 * {@code requireAudience} (which also require presence) and no typ option: the
 * remaining required claims (present, not null) and typ are checked by the
 * adapter on the verified token. Clock: request ({@code clock(...)}).
 */
final class JjwtBackend implements Backend {

    private static final String LIBRARY = "jjwt 0.13.0";

    private static final Glue.KeyView<Jwk<?>> VIEW = new Glue.KeyView<>(
            Jwk::getId, Jwk::getType,
            k -> k.containsKey("use") ? (k.get("use") instanceof String ? (String) k.get("use") : "?") : null,
            Jwk::getAlgorithm);

    @Override
    public JsonNode validate(Request request) throws Exception {
        Request.Policy policy = request.policy;
        policy.checkSupported(Jwts.SIG.get().keySet(), LIBRARY);
        if (policy.audience != null && policy.audience.size() > 1) {
            throw new Protocol.Unsupported("jjwt's requireAudience takes one expected audience; the policy names "
                    + policy.audience.size());
        }
        String token = request.token();

        JwkSet jwkSet;
        try {
            jwkSet = Jwks.setParser().build().parse(policy.jwksJson());
        } catch (RuntimeException e) {
            throw new Protocol.Reject("key", Protocol.describe(e));
        }
        List<Jwk<?>> keys = new ArrayList<>(jwkSet.getKeys());

        JwtParserBuilder builder = Jwts.parser()
                .clock(() -> new Date(request.now * 1000L))
                .clockSkewSeconds(policy.leeway);
        // The allowlist: only the policy's algorithms stay in the parser's registry.
        builder.sig().clear();
        for (String alg : policy.algorithms) {
            SecureDigestAlgorithm<?, ?> a = Jwts.SIG.get().get(alg);
            builder.sig().add(a);
        }
        if (policy.issuer != null) {
            builder.requireIssuer(policy.issuer);
        }
        if (policy.audience != null) {
            builder.requireAudience(policy.audience.get(0));
        }

        SetLocator locator = new SetLocator(keys, policy.algorithms);
        JwtParser parser = builder.keyLocator(locator).build();
        Jws<Claims> jws;
        try {
            jws = parseWithCandidates(parser, locator, token);
        } catch (UncheckedReject e) {
            throw e.reject;
        }

        // Required claims jjwt cannot require (exp, sub, ...): present and not null.
        Claims claims = jws.getPayload();
        for (String name : policy.requiredWithExpectations()) {
            if (claims.get(name) == null) {
                throw new Protocol.Reject("missing_claim", "missing required claim " + Glue.quote(name));
            }
        }
        Object typ = jws.getHeader().get("typ");
        Glue.checkTyp(policy, typ instanceof String ? (String) typ : null);
        return Protocol.claimsOf(claims);
    }

    /** Parse with the locator's first candidate, then the next after a signature/key failure. */
    private Jws<Claims> parseWithCandidates(JwtParser parser, SetLocator locator, String token) {
        RuntimeException first = null;
        while (true) {
            try {
                return parser.parseSignedClaims(token);
            } catch (UncheckedReject e) {
                throw first != null ? first : e;
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
                String reason = reasonOf(e);
                boolean retry = ("signature".equals(reason) || "key".equals(reason)) && locator.next();
                if (!retry) {
                    throw first;
                }
            }
        }
    }

    /** A {@link Protocol.Reject} thrown through jjwt's {@code Locator}, which cannot throw checked exceptions. */
    private static final class UncheckedReject extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Protocol.Reject reject;

        UncheckedReject(Protocol.Reject reject) {
            super(reject.getMessage());
            this.reject = reject;
        }
    }

    /**
     * The application-side key lookup jjwt's README asks for: the kid of the
     * header (or, without one, the kty the header's alg needs) looked up among
     * the JWKs jjwt parsed. {@link #next()} moves to the next candidate.
     */
    private static final class SetLocator extends LocatorAdapter<Key> {
        private final List<Jwk<?>> keys;
        private final List<String> allowed;
        private List<Jwk<?>> candidates;
        private int index;

        SetLocator(List<Jwk<?>> keys, List<String> allowed) {
            this.keys = keys;
            this.allowed = allowed;
        }

        @Override
        protected Key locate(JwsHeader header) {
            if (candidates == null) {
                try {
                    candidates = Glue.candidates(keys, VIEW, header.containsKey("kid"),
                            header.get("kid") instanceof String ? (String) header.get("kid") : null,
                            header.getAlgorithm(), allowed);
                } catch (Protocol.Reject r) {
                    throw new UncheckedReject(r);
                }
            }
            return candidates.get(index).toKey();
        }

        boolean next() {
            if (candidates != null && index + 1 < candidates.size()) {
                index++;
                return true;
            }
            return false;
        }
    }

    /**
     * From jjwt's exception classes (io.jsonwebtoken and
     * io.jsonwebtoken.security); UnsupportedJwtException covers several
     * refusals, told apart by the messages of DefaultJwtParser.
     */
    @Override
    public String reasonOf(Throwable error) {
        if (error instanceof UncheckedReject) {
            return ((UncheckedReject) error).reject.reason;
        }
        String msg = error.getMessage() == null ? "" : error.getMessage();
        if (error instanceof ExpiredJwtException) {
            return "expired";
        }
        if (error instanceof PrematureJwtException) {
            return "not_yet_valid";
        }
        if (error instanceof MissingClaimException) {
            return "missing_claim";
        }
        if (error instanceof IncorrectClaimException) {
            String claim = ((IncorrectClaimException) error).getClaimName();
            if ("iss".equals(claim)) {
                return "issuer";
            }
            return "aud".equals(claim) ? "audience" : "other";
        }
        if (error instanceof RequiredTypeException) {
            return "claim_type";
        }
        if (error instanceof SignatureException) {
            // verifySignature wraps an algorithm missing from sig() in a SignatureException.
            return error.getCause() instanceof UnsupportedJwtException ? "algorithm" : "signature";
        }
        if (error instanceof KeyException || error instanceof MalformedKeySetException) {
            return "key"; // WeakKeyException, InvalidKeyException, UnsupportedKeyException
        }
        if (error instanceof UnsupportedJwtException) {
            if (msg.startsWith("Unsecured JWSs")) {
                return "algorithm";
            }
            if (msg.contains("unable to locate") || msg.contains("may not be used to verify")) {
                return "key";
            }
            if (msg.startsWith("Protected Header 'crit'")) {
                return "other"; // CRIT_UNSUPPORTED_MSG: an extension the parser was not told about
            }
            return "malformed"; // e.g. a JWE or an unprotected JWT where a JWS is expected
        }
        if (error instanceof MalformedJwtException && msg.startsWith("Invalid claims: Invalid JWT Claims")) {
            return "claim_type"; // DefaultClaims: a registered claim's converter refused its JSON type
        }
        if (error instanceof MalformedJwtException || error instanceof DeserializationException
                || error instanceof io.jsonwebtoken.io.DecodingException) {
            return "malformed";
        }
        if (error instanceof IllegalArgumentException && msg.contains("claim")) {
            return "claim_type"; // DefaultClaims' converters for a claim of the wrong JSON type
        }
        if (error instanceof io.jsonwebtoken.JwtException || error instanceof IllegalArgumentException) {
            return "malformed";
        }
        return "other";
    }
}
