/*
 * docs/PROTOCOL.md adapter for rhonabwy 1.1.11 (Debian's librhonabwy-dev), see MORE.md.
 *
 *   gcc -O2 -Wall -Wextra -o target/adapters/bin/rhonabwy adapters/c/rhonabwy_adapter.c adapters/c/common.c \
 *       -lrhonabwy -ljansson
 *
 * Configured as rhonabwy's API.md recommends for tokens from an untrusted source:
 *   - r_jwt_advanced_parsen(jwt, token, len, R_PARSE_NONE, R_FLAG_IGNORE_REMOTE):
 *     API.md ("Advanced parsing"): r_jwt_parse adds any public key named in the
 *     header (jwk, jku, x5c, x5u) to the token's key list, "This can be dangerous
 *     if the token comes from a untrustworthy source ... To simplify secure token
 *     parsing, you should use the functions r_jwt_advanced_parse[n]"; without
 *     R_PARSE_UNSIGNED an alg "none" token is refused;
 *   - r_jwks_import_from_json_str(policy JWK Set) + r_jwt_add_sign_jwks(jwt, NULL,
 *     jwks) + r_jwt_verify_signature(jwt, NULL, ...): the library's own lookup
 *     (r_jws_verify_signature in src/jws.c: the key with the header's kid, else
 *     the only key of a one-key set) and its key-type check (_r_verify_signature);
 *   - the alg allowlist, which rhonabwy does not have, checked here on the
 *     parsed header before verifying;
 *   - r_jwt_validate_claims for iss, aud, sub, exp, nbf, iat, typ and the other
 *     required claims, one claim per call so that the failing one is known.
 *     Times are given as values (API.md: "R_JWT_CLAIM_NOW or an positive integer
 *     value"): exp against now - leeway, nbf and iat against now + leeway, so
 *     clock = "request".
 * The protocol loop, policy parsing and allowlist checks are in common.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rhonabwy.h>

#include "common.h"

/* What rhonabwy 1.1.11 verifies (_r_verify_signature in src/jws.c: HS*, RS*,
 * PS*, ES256/384/512, EdDSA; ES256K is compiled out, "#if 0"). */
static const char *const implemented[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
					  "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", NULL};

/* ------------------------------------------------------------------ validate */

static const char *rhn_code(int ret)
{
	switch (ret) {
	case RHN_OK: return "RHN_OK";
	case RHN_ERROR: return "RHN_ERROR";
	case RHN_ERROR_MEMORY: return "RHN_ERROR_MEMORY";
	case RHN_ERROR_PARAM: return "RHN_ERROR_PARAM";
	case RHN_ERROR_UNSUPPORTED: return "RHN_ERROR_UNSUPPORTED";
	case RHN_ERROR_INVALID: return "RHN_ERROR_INVALID";
	}
	return "RHN_?";
}

/* The request's now as the int r_jwt_validate_claims takes (positive). */
static int clamp_time(double t)
{
	if (t < 1)
		return 1;
	if (t > 2147483647.0)
		return 2147483647;
	return (int)t;
}

static int required_has(const policy_t *p, const char *name)
{
	size_t i;
	json_t *v;

	if (json_is_array(p->required))
		json_array_foreach(p->required, i, v)
			if (json_is_string(v) && !strcmp(json_string_value(v), name))
				return 1;
	return 0;
}

/* One r_jwt_validate_claims call per check; returns 0 when all pass. */
static int check_claims(jwt_t *jwt, const policy_t *p, double now, result_t *r)
{
	json_t *claims = r_jwt_get_full_claims_json_t(jwt), *v;
	size_t i;
	int ok = 1;

	if (!json_is_object(claims)) {
		set_result(r, "reject", "malformed", "payload is not a JSON object");
		json_decref(claims);
		return -1;
	}
	/* Presence: required claims (R_JWT_CLAIM_JSN with NULL: "NULL to validate
	 * the presence of the claim"), iss/aud when an expected value is set. */
	if (json_is_array(p->required))
		json_array_foreach(p->required, i, v) {
			const char *name = json_string_value(v);

			if (name && r_jwt_validate_claims(jwt, R_JWT_CLAIM_JSN, name, NULL, R_JWT_CLAIM_NOP) != RHN_OK) {
				set_result(r, "reject", "missing_claim", "missing required claim \"%s\" (r_jwt_validate_claims)", name);
				goto fail;
			}
		}
	if ((p->issuer && !json_object_get(claims, "iss")) || (p->audience && !json_object_get(claims, "aud"))) {
		set_result(r, "reject", "missing_claim", "missing required claim \"%s\"",
			   p->issuer && !json_object_get(claims, "iss") ? "iss" : "aud");
		goto fail;
	}
	/* exp, nbf, iat: checked when present or required (rhonabwy refuses the
	 * check when the claim is absent, so it would make nbf/iat mandatory). */
	if (json_object_get(claims, "exp") || required_has(p, "exp"))
		if (r_jwt_validate_claims(jwt, R_JWT_CLAIM_EXP, clamp_time(now - p->leeway), R_JWT_CLAIM_NOP) != RHN_OK) {
			v = json_object_get(claims, "exp");
			set_result(r, "reject", json_is_integer(v) ? "expired" : "claim_type",
				   "r_jwt_validate_claims(R_JWT_CLAIM_EXP, now - leeway) failed");
			goto fail;
		}
	if (json_object_get(claims, "nbf") || required_has(p, "nbf"))
		if (r_jwt_validate_claims(jwt, R_JWT_CLAIM_NBF, clamp_time(now + p->leeway), R_JWT_CLAIM_NOP) != RHN_OK) {
			v = json_object_get(claims, "nbf");
			set_result(r, "reject", json_is_integer(v) ? "not_yet_valid" : "claim_type",
				   "r_jwt_validate_claims(R_JWT_CLAIM_NBF, now + leeway) failed");
			goto fail;
		}
	if (json_object_get(claims, "iat") || required_has(p, "iat"))
		if (r_jwt_validate_claims(jwt, R_JWT_CLAIM_IAT, clamp_time(now + p->leeway), R_JWT_CLAIM_NOP) != RHN_OK) {
			v = json_object_get(claims, "iat");
			set_result(r, "reject", json_is_integer(v) ? "other" : "claim_type",
				   "r_jwt_validate_claims(R_JWT_CLAIM_IAT, now + leeway) failed");
			goto fail;
		}
	if (p->issuer && r_jwt_validate_claims(jwt, R_JWT_CLAIM_ISS, p->issuer, R_JWT_CLAIM_NOP) != RHN_OK) {
		set_result(r, "reject", "issuer", "r_jwt_validate_claims(R_JWT_CLAIM_ISS) failed");
		goto fail;
	}
	if (required_has(p, "sub") && r_jwt_validate_claims(jwt, R_JWT_CLAIM_SUB, NULL, R_JWT_CLAIM_NOP) != RHN_OK) {
		set_result(r, "reject", "claim_type", "r_jwt_validate_claims(R_JWT_CLAIM_SUB, NULL) failed");
		goto fail;
	}
	if (p->audience) {
		/* R_JWT_CLAIM_AUD takes one expected string: any of the policy's. */
		ok = 0;
		json_array_foreach(p->audience, i, v)
			if (json_is_string(v) &&
			    r_jwt_validate_claims(jwt, R_JWT_CLAIM_AUD, json_string_value(v), R_JWT_CLAIM_NOP) == RHN_OK)
				ok = 1;
		if (!ok) {
			set_result(r, "reject", "audience", "r_jwt_validate_claims(R_JWT_CLAIM_AUD) failed for every expected audience");
			goto fail;
		}
	}
	if (p->typ && r_jwt_validate_claims(jwt, R_JWT_CLAIM_TYP, p->typ, R_JWT_CLAIM_NOP) != RHN_OK) {
		set_result(r, "reject", "other", "r_jwt_validate_claims(R_JWT_CLAIM_TYP) failed");
		goto fail;
	}
	r->claims = claims;
	return 0;
fail:
	json_decref(claims);
	return -1;
}

static void validate(json_t *req, result_t *r)
{
	json_t *pol, *v, *hdr = NULL;
	policy_t p = {0};
	const char *token, *alg;
	jwt_t *jwt = NULL;
	jwks_t *jwks = NULL;
	char *jwks_text = NULL;
	double now;
	size_t token_len;
	int ret;

	pol = parse_policy(req, &p, &now);
	if (check_implemented(&p, implemented, "rhonabwy 1.1.11", r))
		return;
	token = request_token(req, &token_len, r);
	if (!token)
		return;

	if (r_jwt_init(&jwt) != RHN_OK) {
		set_result(r, "reject", "other", "r_jwt_init failed");
		return;
	}
	/* 1. Parse, header keys and unsigned tokens refused (API.md, "Advanced parsing"). */
	ret = r_jwt_advanced_parsen(jwt, token, token_len, R_PARSE_NONE, R_FLAG_IGNORE_REMOTE);
	if (ret != RHN_OK) {
		const char *a = NULL;
		json_t *h = NULL;
		jwt_t *diag = NULL;

		/* An unsigned (alg "none") token is refused with RHN_ERROR_INVALID
		 * without R_PARSE_UNSIGNED (API.md, "Parse a unsecured JWT"). Only to
		 * tell that apart for the reason, parse it again with R_PARSE_UNSIGNED
		 * into a throw-away jwt_t that is never verified nor accepted. */
		if (ret == RHN_ERROR_INVALID && r_jwt_init(&diag) == RHN_OK &&
		    r_jwt_advanced_parsen(diag, token, token_len, R_PARSE_UNSIGNED, R_FLAG_IGNORE_REMOTE) == RHN_OK)
			h = r_jwt_get_full_header_json_t(diag);
		r_jwt_free(diag);
		if (json_is_object(h))
			a = json_string_value(json_object_get(h, "alg"));
		if (a && !policy_allows(&p, a))
			set_result(r, "reject", "algorithm", "r_jwt_advanced_parsen: %s; alg %s is not in the allowlist", rhn_code(ret), a);
		else
			set_result(r, "reject", ret == RHN_ERROR_MEMORY ? "other" : "malformed", "r_jwt_advanced_parsen: %s", rhn_code(ret));
		json_decref(h);
		goto done;
	}
	if (r_jwt_get_type(jwt) != R_JWT_TYPE_SIGN) {
		set_result(r, "reject", "malformed", "not a signed JWT (r_jwt_get_type %d)", r_jwt_get_type(jwt));
		goto done;
	}
	hdr = r_jwt_get_full_header_json_t(jwt);
	alg = json_is_object(hdr) ? json_string_value(json_object_get(hdr, "alg")) : NULL;
	if (!policy_allows(&p, alg)) {
		set_result(r, "reject", "algorithm", "alg %s is not in the allowlist", alg ? alg : "(missing or not a string)");
		goto done;
	}

	/* 2. The policy's JWK Set, handed to the library's own lookup. */
	if (r_jwks_init(&jwks) != RHN_OK) {
		set_result(r, "reject", "other", "r_jwks_init failed");
		goto done;
	}
	v = pol ? json_object_get(pol, "jwks") : NULL;
	jwks_text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	ret = jwks_text ? r_jwks_import_from_json_str(jwks, jwks_text) : RHN_ERROR_PARAM;
	if (ret != RHN_OK && !r_jwks_size(jwks)) {
		set_result(r, "reject", "key", "r_jwks_import_from_json_str: %s", rhn_code(ret));
		goto done;
	}
	if (r_jwt_add_sign_jwks(jwt, NULL, jwks) != RHN_OK) {
		set_result(r, "reject", "other", "r_jwt_add_sign_jwks failed");
		goto done;
	}
	ret = r_jwt_verify_signature(jwt, NULL, R_FLAG_IGNORE_REMOTE);
	if (ret != RHN_OK) {
		/* RHN_ERROR_INVALID covers "no key" and "bad signature": tell them
		 * apart with the same lookup r_jws_verify_signature makes. */
		const char *kid = json_is_object(hdr) ? json_string_value(json_object_get(hdr, "kid")) : NULL;
		jwk_t *k = kid ? r_jwks_get_by_kid(jwks, kid) : (r_jwks_size(jwks) == 1 ? r_jwks_get_at(jwks, 0) : NULL);

		set_result(r, "reject", ret == RHN_ERROR_MEMORY ? "other" : k ? "signature" : "key",
			   "r_jwt_verify_signature: %s%s", rhn_code(ret),
			   k ? "" : kid ? " (no key with that kid)" : " (no kid and not exactly one key)");
		r_jwk_free(k);
		goto done;
	}

	/* 3. Claims. */
	if (check_claims(jwt, &p, now, r))
		goto done;
	set_accept(r, r->claims);
done:
	free(jwks_text);
	json_decref(hdr);
	r_jwks_free(jwks);
	r_jwt_free(jwt);
}

int main(void)
{
	int ret;

	if (r_global_init() != RHN_OK) {
		fputs("r_global_init failed\n", stderr);
		return 1;
	}
	ret = run_protocol(validate);
	r_global_close();
	return ret;
}
