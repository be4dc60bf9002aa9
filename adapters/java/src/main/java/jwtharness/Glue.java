package jwtharness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.spec.SecretKeySpec;

/**
 * Adapter glue shared by the backends whose library lacks a feature the
 * policy needs: key selection for libraries that take one key (jjwt's
 * {@code Locator}, java-jwt's {@code Algorithm}), the typ check for a library
 * without one (java-jwt), and JWK to JCA key conversion for a library with no
 * JWK support (java-jwt). The same rules as adapters/node/protocol.cjs and
 * adapters/go/main.go, so that "adapter" key selection means one thing.
 */
final class Glue {

    private Glue() {
    }

    /** The JWK {@code kty} each allowlistable algorithm needs. */
    static final Map<String, String> ALG_KTY = Map.ofEntries(
            Map.entry("HS256", "oct"), Map.entry("HS384", "oct"), Map.entry("HS512", "oct"),
            Map.entry("RS256", "RSA"), Map.entry("RS384", "RSA"), Map.entry("RS512", "RSA"),
            Map.entry("PS256", "RSA"), Map.entry("PS384", "RSA"), Map.entry("PS512", "RSA"),
            Map.entry("ES256", "EC"), Map.entry("ES384", "EC"), Map.entry("ES512", "EC"),
            Map.entry("EdDSA", "OKP"));

    /** How to read kid, kty, use and alg from a library's (or the raw JSON) key object. */
    record KeyView<T>(Function<T, String> kid, Function<T, String> kty, Function<T, String> use,
            Function<T, String> alg) {
    }

    /** A view of the policy's raw JWKs: members that are not strings count as absent. */
    static final KeyView<ObjectNode> RAW = new KeyView<>(
            k -> text(k, "kid"), k -> text(k, "kty"),
            k -> k.has("use") ? (k.get("use").isTextual() ? k.get("use").asText() : "?") : null,
            k -> text(k, "alg"));

    /**
     * Whether a key's {@code alg} pins it to another algorithm of the same key
     * type than the token's (an HS384 secret for an HS256 token, an RS256 key
     * for PS256): a key the application must not use (RFC 8725 §3.1, "each key
     * MUST be used with exactly one algorithm"), because the library only ever
     * sees the key material. EC keys are left to the library: their curve
     * names the algorithm. Only for an allowlisted alg: another one is the
     * library's to refuse.
     */
    static boolean pinnedElsewhere(String keyAlg, String alg, List<String> allowed) {
        return keyAlg != null && alg != null && !keyAlg.equals(alg) && allowed.contains(alg)
                && ALG_KTY.containsKey(alg)
                && ALG_KTY.get(alg).equals(ALG_KTY.get(keyAlg)) && !"EC".equals(ALG_KTY.get(alg));
    }

    private static String text(JsonNode node, String name) {
        JsonNode v = node.get(name);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /**
     * The keys to try, in order: with a kid in the header, the keys carrying
     * exactly that kid (a kid that is not a string names no key); without one,
     * the signing keys whose kty fits the token's alg when it is allowlisted,
     * else any allowlisted alg. When nothing fits a token whose alg is not
     * allowlisted, the first key is returned so that the library itself refuses
     * the algorithm. A key pinned to another algorithm of its type
     * ({@link #pinnedElsewhere}) is never a candidate.
     *
     * @param hasKid whether the header has a kid member at all
     * @param kid    the kid when it is a string, else null
     */
    static <T> List<T> candidates(List<T> keys, KeyView<T> view, boolean hasKid, String kid, String alg,
            List<String> allowed) throws Protocol.Reject {
        List<T> found = new ArrayList<>();
        if (hasKid) {
            List<T> named = new ArrayList<>();
            for (T k : keys) {
                String kk = view.kid().apply(k);
                if (kid != null && kid.equals(kk)) {
                    named.add(k);
                    if (!pinnedElsewhere(view.alg().apply(k), alg, allowed)) {
                        found.add(k);
                    }
                }
            }
            if (named.isEmpty()) {
                throw new Protocol.Reject("key", Protocol.truncate("no key in the JWKS has kid "
                        + (kid == null ? "(not a string)" : quote(kid))));
            }
            if (found.isEmpty()) {
                throw new Protocol.Reject("key", Protocol.truncate("the key with kid " + quote(kid)
                        + " is pinned to " + view.alg().apply(named.get(0)) + ", not " + alg));
            }
            return found;
        }
        boolean isAllowed = alg != null && allowed.contains(alg);
        Set<String> ktys = new HashSet<>();
        for (String a : isAllowed ? List.of(alg) : allowed) {
            if (ALG_KTY.containsKey(a)) {
                ktys.add(ALG_KTY.get(a));
            }
        }
        for (T k : keys) {
            String use = view.use().apply(k);
            if (ktys.contains(view.kty().apply(k)) && (use == null || use.equals("sig"))
                    && !pinnedElsewhere(view.alg().apply(k), alg, allowed)) {
                found.add(k);
            }
        }
        if (found.isEmpty()) {
            if (!keys.isEmpty() && !isAllowed) {
                return keys.subList(0, 1); // let the library reject the algorithm
            }
            throw new Protocol.Reject("key", Protocol.truncate("no key in the JWKS fits algorithm "
                    + (alg == null ? "(none)" : quote(alg))));
        }
        return found;
    }

    /** One verification attempt with one candidate key. */
    interface Attempt<T, R> {
        R run(T key) throws Exception;
    }

    /**
     * Try each candidate in order: a {@code signature} or {@code key} failure
     * moves on to the next one, any other failure is final; when all fail, the
     * first failure is thrown.
     */
    static <T, R> R tryCandidates(List<T> candidates, Attempt<T, R> attempt, Backend backend) throws Exception {
        Exception first = null;
        for (T key : candidates) {
            try {
                return attempt.run(key);
            } catch (Protocol.Unsupported e) {
                throw e;
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
                String reason = e instanceof Protocol.Reject ? ((Protocol.Reject) e).reason : backend.reasonOf(e);
                if (!"signature".equals(reason) && !"key".equals(reason)) {
                    throw e;
                }
            }
        }
        if (first == null) {
            throw new Protocol.Reject("key", "no candidate key");
        }
        throw first;
    }

    /**
     * The typ check for a library without one (RFC 7515 §4.1.9 comparison:
     * case-insensitive, the {@code application/} prefix optional); reason
     * {@code other}. {@code typ} is the header member, null when absent or not a
     * string.
     */
    static void checkTyp(Request.Policy policy, String typ) throws Protocol.Reject {
        if (policy.typ == null) {
            return;
        }
        if (typ == null || !normTyp(typ).equals(normTyp(policy.typ))) {
            throw new Protocol.Reject("other", Protocol.truncate("typ header "
                    + (typ == null ? "(absent or not a string)" : quote(typ)) + " is not " + quote(policy.typ)));
        }
    }

    static String normTyp(String typ) {
        String v = typ.toLowerCase(Locale.ROOT);
        return v.startsWith("application/") ? v.substring("application/".length()) : v;
    }

    static String quote(String s) {
        return Protocol.JSON.getNodeFactory().textNode(s).toString();
    }

    /**
     * A JWK as the JCA key a library without JWK support takes: the secret of
     * an oct key, an RSA or EC public key (P-256/384/521). Reject {@code key}
     * when the JWK cannot be converted.
     */
    static Key jcaKey(ObjectNode jwk) throws Protocol.Reject {
        String kty = text(jwk, "kty");
        try {
            if ("oct".equals(kty)) {
                byte[] k = b64(jwk, "k");
                if (k.length == 0) {
                    throw new Protocol.Reject("key", "oct JWK with an empty secret");
                }
                return new SecretKeySpec(k, "HMAC");
            }
            if ("RSA".equals(kty)) {
                RSAPublicKeySpec spec = new RSAPublicKeySpec(new BigInteger(1, b64(jwk, "n")),
                        new BigInteger(1, b64(jwk, "e")));
                return KeyFactory.getInstance("RSA").generatePublic(spec);
            }
            if ("EC".equals(kty)) {
                String crv = text(jwk, "crv");
                String name = crv == null ? null : Map.of("P-256", "secp256r1", "P-384", "secp384r1",
                        "P-521", "secp521r1").get(crv);
                if (name == null) {
                    throw new Protocol.Reject("key", "EC JWK with unsupported crv " + crv);
                }
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(name));
                ECParameterSpec curve = params.getParameterSpec(ECParameterSpec.class);
                ECPoint w = new ECPoint(new BigInteger(1, b64(jwk, "x")), new BigInteger(1, b64(jwk, "y")));
                return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, curve));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new Protocol.Reject("key", Protocol.describe(e));
        }
        throw new Protocol.Reject("key", "no JCA key for a JWK of kty " + (kty == null ? "(none)" : quote(kty)));
    }

    private static byte[] b64(ObjectNode jwk, String member) throws Protocol.Reject {
        String v = text(jwk, member);
        if (v == null) {
            throw new Protocol.Reject("key", "JWK without \"" + member + "\"");
        }
        return Base64.getUrlDecoder().decode(v);
    }
}
