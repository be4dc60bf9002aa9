/*
 * docs/PROTOCOL.md adapter for cjose 0.6.2.1 (Debian's libcjose-dev, the JOSE
 * library inside mod_auth_openidc), see MORE.md.
 *
 *   gcc -O2 -Wall -Wextra -o target/adapters/bin/cjose adapters/c/cjose_adapter.c adapters/c/common.c \
 *       -lcjose -ljansson
 *
 * cjose is a JOSE library: it parses a compact JWS (cjose_jws_import), imports
 * one JWK at a time (cjose_jwk_import) and verifies a JWS with one key
 * (cjose_jws_verify).  It has no JWK Set lookup, no algorithm allowlist and no
 * JWT claim validation: mod_auth_openidc does those around it (src/jose.c,
 * src/proto.c).  So this adapter, like mod_auth_openidc:
 *   - imports the token with cjose_jws_import (a failure is `malformed`),
 *   - reads alg and kid from the parsed protected header (a jansson object:
 *     cjose_header_t is a json_t, and cjose_header_get reads its strings),
 *   - refuses an alg outside the policy's allowlist before verifying,
 *   - picks the candidate JWKs (by kid, else those whose kty fits the alg),
 *     imports each with cjose_jwk_import and verifies with cjose_jws_verify,
 *   - checks exp/nbf (request `now` + leeway), iss, aud, sub/iat types,
 *     required claims and typ itself with jansson on cjose_jws_get_plaintext.
 * Claims are checked with the request's `now`: clock = "request".  The protocol
 * loop, policy parsing, key lookup and claim checks are in common.c.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "common.h"

/* What cjose 0.6.2.1 implements for a JWS (_cjose_jws_validate_hdr in src/jws.c:
 * PS*, RS*, HS*, ES256/384/512; no EdDSA). */
static const char *const implemented[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
					  "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", NULL};

/* ------------------------------------------------------------------ validate */

static const char *cjose_code(cjose_err *e)
{
	switch (e->code) {
	case CJOSE_ERR_NONE: return "CJOSE_ERR_NONE";
	case CJOSE_ERR_INVALID_ARG: return "CJOSE_ERR_INVALID_ARG";
	case CJOSE_ERR_INVALID_STATE: return "CJOSE_ERR_INVALID_STATE";
	case CJOSE_ERR_NO_MEMORY: return "CJOSE_ERR_NO_MEMORY";
	case CJOSE_ERR_CRYPTO: return "CJOSE_ERR_CRYPTO";
	}
	return "CJOSE_ERR_?";
}

static void validate(json_t *req, result_t *r)
{
	json_t *v, *kid = NULL, *cands = NULL, *hdr;
	policy_t p = {0};
	const char *token, *alg, *kty;
	cjose_jws_t *jws = NULL;
	cjose_err err = {0};
	char lib[64];
	double now;
	size_t i, token_len;
	int tried = 0;

	parse_policy(req, &p, &now);
	snprintf(lib, sizeof(lib), "cjose %s", cjose_version());
	if (check_implemented(&p, implemented, lib, r))
		return;

	token = request_token(req, &token_len, r);
	if (!token)
		return;

	/* 1. Parse: cjose_jws_import decodes header, payload and signature and
	 *    refuses an alg it does not implement (except "none", which it
	 *    imports but never verifies). */
	jws = cjose_jws_import(token, token_len, &err);
	if (!jws) {
		set_result(r, "reject", "malformed", "cjose_jws_import: %s (%s)",
			   err.message ? err.message : "failed", cjose_code(&err));
		return;
	}
	hdr = (json_t *)cjose_jws_get_protected(jws);
	if (!json_is_object(hdr)) {
		set_result(r, "reject", "malformed", "protected header is not a JSON object");
		goto done;
	}
	/* alg: the allowlist decides, before any key is used. */
	alg = cjose_header_get((cjose_header_t *)hdr, CJOSE_HDR_ALG, &err);
	if (!policy_allows(&p, alg)) {
		set_result(r, "reject", "algorithm", "alg %s is not in the allowlist", alg ? alg : "(missing or not a string)");
		goto done;
	}
	kty = alg_kty(alg);
	if (!kty) {
		set_result(r, "reject", "algorithm", "alg is not implemented");
		goto done;
	}
	kid = json_object_get(hdr, CJOSE_HDR_KID);
	if (kid && !json_is_string(kid)) {
		set_result(r, "reject", "malformed", "kid header is not a string");
		goto done;
	}

	/* 2. Candidate keys (cjose has no JWK Set): those carrying the token's
	 *    exact kid, else without a kid those whose kty fits the alg. */
	cands = candidate_keys(&p, kid, kty, alg);
	if (!json_array_size(cands)) {
		if (kid)
			set_result(r, "reject", "key", "no key in the JWKS has that kid (or it is pinned to another alg than %s)", alg);
		else
			set_result(r, "reject", "key", "no key in the JWKS fits algorithm %s", alg);
		goto done;
	}

	/* 3. Verify with each candidate; a failure moves on. */
	r->verdict = NULL;
	json_array_foreach(cands, i, v) {
		const char *t = json_string_value(json_object_get(v, "kty"));
		char *text;
		cjose_jwk_t *jwk;
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		json_t *claims;
		json_error_t jerr;

		if (!t || strcmp(t, kty)) {
			if (!tried++)
				set_result(r, "reject", "key", "key has kty %s, alg %s needs %s", t ? t : "(none)", alg, kty);
			continue;
		}
		text = json_dumps(v, JSON_COMPACT);
		memset(&err, 0, sizeof(err));
		jwk = text ? cjose_jwk_import(text, strlen(text), &err) : NULL;
		free(text);
		if (!jwk) {
			if (!tried++)
				set_result(r, "reject", "key", "cjose_jwk_import: %s (%s)", err.message ? err.message : "failed", cjose_code(&err));
			continue;
		}
		memset(&err, 0, sizeof(err));
		if (!cjose_jws_verify(jws, jwk, &err)) {
			if (!tried++)
				set_result(r, "reject", err.code == CJOSE_ERR_NO_MEMORY ? "other" : "signature",
					   "cjose_jws_verify: %s (%s)", err.message ? err.message : "failed", cjose_code(&err));
			cjose_jwk_release(jwk);
			continue;
		}
		cjose_jwk_release(jwk);
		/* Signature good: the payload, parsed with jansson (duplicate
		 * members refused: the claims are this adapter's job). */
		if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &err)) {
			set_result(r, "reject", "other", "cjose_jws_get_plaintext: %s", cjose_code(&err));
			goto done;
		}
		claims = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(claims)) {
			set_result(r, "reject", "malformed", "payload is not a JSON object%s%s",
				   claims ? "" : ": ", claims ? "" : jerr.text);
			json_decref(claims);
			goto done;
		}
		judge_claims(&p, json_string_value(json_object_get(hdr, "typ")), claims, now, r);
		goto done;
	}
done:
	json_decref(cands);
	cjose_jws_release(jws);
}

int main(void)
{
	return run_protocol(validate);
}
