/*
 * docs/PROTOCOL.md adapter for libjwt 1.10.2 (Debian's libjwt-dev), see README.md.
 *
 *   gcc -O2 -Wall -Wextra -o target/adapters/bin/libjwt adapters/c/adapter.c adapters/c/common.c \
 *       -ljwt -ljansson -lcrypto
 *
 * libjwt 1.10.2 only parses a token and checks its signature with the
 * algorithm named in the token header (jwt_decode); it has no algorithm
 * allowlist and no claim validation (jwt_valid_* arrived in 1.12).  So, as
 * any libjwt 1.x user must, this adapter:
 *   - reads the header with an unverified jwt_decode(token, NULL key),
 *   - refuses an alg outside the policy's allowlist before verifying,
 *   - only ever hands libjwt a key whose JWK kty fits that alg (an RSA/EC PEM
 *     must never reach libjwt as an HMAC secret),
 *   - converts RSA/EC JWKs to PEM with OpenSSL (libjwt 1.x takes PEM),
 *   - checks exp/nbf (request `now` + leeway), iss, aud, required claims and
 *     typ itself on the claims libjwt returns.
 * Claims are checked with the request's `now`: clock = "request".  The protocol
 * loop, policy parsing, key lookup and claim checks are in common.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common.h"

/* ------------------------------------------------------------------ helpers */

/* What libjwt 1.10.2 implements (its jwt_alg_t, without "none"). */
static const char *const implemented[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
					  "RS512", "ES256", "ES384", "ES512", NULL};

static const char *lookup_alg(const char *alg)
{
	static const char *algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
				     "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
				     "ES256K", "EdDSA", "Ed25519"};
	size_t i;

	for (i = 0; alg && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i], alg))
			return algs[i];
	return NULL;
}

/* Strict base64url (no padding, no other alphabet) into a new buffer. */
static unsigned char *b64url_decode(const char *in, size_t *out_len)
{
	size_t len = strlen(in), i, o = 0;
	unsigned int acc = 0;
	int bits = 0;
	unsigned char *out;

	if (len % 4 == 1)
		return NULL;
	out = malloc(len * 3 / 4 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		int v;
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*out_len = o;
	return out;
}

static unsigned char *jwk_bytes(json_t *jwk, const char *member, size_t *len)
{
	const char *s = json_string_value(json_object_get(jwk, member));

	return s ? b64url_decode(s, len) : NULL;
}

/* ------------------------------------------------------------------ keys */

static char *pkey_to_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0 && (pem = malloc((size_t)n + 1))) {
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
		}
	}
	BIO_free(bio);
	return pem;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
			pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pkey) {
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

		if (!check || EVP_PKEY_public_check(check) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(check);
	}
	return pkey;
}

static char *rsa_jwk_to_pem(json_t *jwk, const char **err)
{
	size_t nlen = 0, elen = 0;
	unsigned char *n = jwk_bytes(jwk, "n", &nlen), *e = jwk_bytes(jwk, "e", &elen);
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	char *pem = NULL;

	*err = "RSA JWK: n/e missing or not base64url";
	if (!n || !e || !nlen || !elen)
		goto out;
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn_n || !bn_e || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	*err = "RSA JWK: OpenSSL refused the public key";
	pkey = pkey_fromdata("RSA", bld);
	if (pkey && (pem = pkey_to_pem(pkey)))
		*err = NULL;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return pem;
}

static char *ec_jwk_to_pem(json_t *jwk, const char **err)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *group = NULL;
	size_t field = 0, xlen = 0, ylen = 0;
	unsigned char *x = NULL, *y = NULL, *point = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	char *pem = NULL;

	if (crv && !strcmp(crv, "P-256")) {
		group = "prime256v1";
		field = 32;
	} else if (crv && !strcmp(crv, "P-384")) {
		group = "secp384r1";
		field = 48;
	} else if (crv && !strcmp(crv, "P-521")) {
		group = "secp521r1";
		field = 66;
	}
	*err = "EC JWK: unsupported crv";
	if (!group)
		return NULL;
	*err = "EC JWK: x/y missing, not base64url, or of the wrong length";
	x = jwk_bytes(jwk, "x", &xlen);
	y = jwk_bytes(jwk, "y", &ylen);
	if (!x || !y || xlen != field || ylen != field)
		goto out;
	point = malloc(1 + 2 * field);
	bld = OSSL_PARAM_BLD_new();
	if (!point || !bld)
		goto out;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, field);
	memcpy(point + 1 + field, y, field);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field))
		goto out;
	*err = "EC JWK: OpenSSL refused the public key (point not on the curve?)";
	pkey = pkey_fromdata("EC", bld);
	if (pkey && (pem = pkey_to_pem(pkey)))
		*err = NULL;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	free(point);
	free(x);
	free(y);
	return pem;
}

/* Key material as libjwt 1.x wants it: raw secret for HS*, PEM for RS/ES. */
static unsigned char *key_material(json_t *jwk, const char *kty, size_t *len, const char **err)
{
	if (!strcmp(kty, "oct")) {
		unsigned char *k = jwk_bytes(jwk, "k", len);

		*err = k ? NULL : "oct JWK: k missing or not base64url";
		return k;
	}
	if (!strcmp(kty, "RSA") || !strcmp(kty, "EC")) {
		char *pem = !strcmp(kty, "RSA") ? rsa_jwk_to_pem(jwk, err) : ec_jwk_to_pem(jwk, err);

		if (pem)
			*len = strlen(pem);
		return (unsigned char *)pem;
	}
	*err = "unsupported JWK kty";
	return NULL;
}

/* ------------------------------------------------------------------ validate */

static void validate(json_t *req, result_t *r)
{
	json_t *v, *kid = NULL, *cands;
	policy_t p = {0};
	const char *token, *alg, *kty;
	jwt_t *jwt = NULL;
	double now;
	size_t i, token_len;
	int ret, tried = 0;
	char *hdr_json;

	parse_policy(req, &p, &now);
	if (check_implemented(&p, implemented, "libjwt 1.10.2", r))
		return;

	/* jwt_verify_head (libjwt/jwt.c) refuses any typ header but "JWT"
	 * (strcasecmp), even in the unverified parse: a policy that requires
	 * another typ (RFC 9068's at+jwt) cannot be met with libjwt 1.x. */
	if (p.typ && strcasecmp(norm_typ(p.typ), "JWT")) {
		set_result(r, "unsupported", NULL, "libjwt 1.10.2 refuses every typ but JWT (jwt_verify_head), so typ %s cannot be required", p.typ);
		return;
	}

	token = request_token(req, &token_len, r);
	if (!token)
		return;
	if (strlen(token) != token_len) {
		set_result(r, "reject", "malformed", "token contains a NUL character");
		return;
	}

	/* 1. Unverified parse: header (alg, kid) without a key. */
	ret = jwt_decode(&jwt, token, NULL, 0);
	if (ret || !jwt) {
		set_result(r, "reject", "malformed", "jwt_decode: %s", strerror(ret ? ret : EINVAL));
		jwt_free(jwt);
		return;
	}
	/* An unverified jwt_t reports alg "none"; the header keeps the token's
	 * alg.  libjwt 1.x has no allowlist: refuse the alg here, before
	 * verifying, so the alg in the header only picks among the allowlist. */
	alg = jwt_get_header(jwt, "alg");
	if (!policy_allows(&p, alg)) {
		set_result(r, "reject", "algorithm", "alg %s is not in the allowlist", alg ? alg : "(missing or not a string)");
		jwt_free(jwt);
		return;
	}
	alg = lookup_alg(alg); /* static copy: jwt is freed below */
	kty = alg_kty(alg);
	if (!alg || !kty) {
		set_result(r, "reject", "algorithm", "alg is not implemented");
		jwt_free(jwt);
		return;
	}
	hdr_json = jwt_get_headers_json(jwt, NULL);
	if (hdr_json) {
		json_t *hdr = json_loads(hdr_json, JSON_ALLOW_NUL, NULL);

		free(hdr_json);
		if (hdr) {
			kid = json_object_get(hdr, "kid");
			if (kid)
				json_incref(kid);
			json_decref(hdr);
		}
	}
	jwt_free(jwt);
	jwt = NULL;

	/* 2. Candidate keys: by kid, else by type. */
	cands = candidate_keys(&p, kid, kty, alg);
	if (!json_array_size(cands)) {
		if (kid) {
			char *k = json_dumps(kid, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

			set_result(r, "reject", "key", "no key in the JWKS has kid %s (or it is pinned to another alg than %s)", k ? k : "?", alg);
			free(k);
		} else {
			set_result(r, "reject", "key", "no key in the JWKS fits algorithm %s", alg);
		}
		goto done;
	}

	/* 3. Verify with each candidate; a signature failure moves on. */
	r->verdict = NULL;
	json_array_foreach(cands, i, v) {
		const char *t = json_string_value(json_object_get(v, "kty")), *err = NULL;
		unsigned char *key;
		size_t klen = 0;
		char *grants;
		json_t *claims;

		if (!t || strcmp(t, kty)) {
			if (!tried++)
				set_result(r, "reject", "key", "key %s has kty %s, alg %s needs %s",
					   kid ? "named by kid" : "", t ? t : "(none)", alg, kty);
			continue;
		}
		key = key_material(v, t, &klen, &err);
		if (!key) {
			if (!tried++)
				set_result(r, "reject", "key", "%s", err ? err : "unusable key");
			continue;
		}
		ret = jwt_decode(&jwt, token, key, (int)klen);
		free(key);
		if (ret || !jwt) {
			if (!tried++)
				set_result(r, "reject", ret == ENOMEM ? "other" : "signature",
					   "jwt_decode: %s", strerror(ret ? ret : EINVAL));
			jwt_free(jwt);
			jwt = NULL;
			continue;
		}
		/* Signature good: the claims as libjwt returns them. */
		grants = jwt_get_grants_json(jwt, NULL);
		claims = grants ? json_loads(grants, JSON_ALLOW_NUL, NULL) : NULL;
		free(grants);
		if (!claims) /* libjwt also accepts a JSON array as the payload */
			claims = json_object();
		judge_claims(&p, jwt_get_header(jwt, "typ"), claims, now, r);
		goto done;
	}
done:
	jwt_free(jwt);
	json_decref(cands);
	json_decref(kid);
}

int main(void)
{
	return run_protocol(validate);
}
