/* oauth_grant.c — what intaked sends a token endpoint: the grant's form
 * and the client's authentication, by secret or by a certificate
 * (private_key_jwt, RFC 7523: what Microsoft recommends for app-only
 * access), the assertion signed RS256 with OpenSSL. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "intaked/oauth.h"
#include "intaked/json.h"
#include "intaked/log.h"

#define PEM_MAX (64u * 1024)

void oauth_form_add(struct buf *b, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	if (value == NULL || value[0] == '\0')
		return;
	buf_printf(b, "&%s=", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;
		char enc[4] = { (char)*p, 0, 0, 0 };
		if (!plain) {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
		}
		buf_puts(b, enc);
	}
}

char *oauth_b64url(const unsigned char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *b64url_str(const char *s)
{
	return oauth_b64url((const unsigned char *)s, strlen(s));
}

/* The certificate's SHA-1 thumbprint, base64url: the x5t header. */
static char *cert_thumbprint(const char *path, struct err *err)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *x5t = NULL;
	if (cert != NULL && X509_digest(cert, EVP_sha1(), md, &n) == 1)
		x5t = oauth_b64url(md, n);
	else
		err_set(err, ERR_CONFIG, "oauth: %s: not a PEM certificate", path);
	X509_free(cert);
	BIO_free(bio);
	return x5t;
}

static EVP_PKEY *load_key(const char *path, struct err *err)
{
	BIO *bio = BIO_new_file(path, "r");
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
		err_set(err, ERR_CONFIG, "oauth: %s: not an RSA private key in PEM "
			"(unencrypted)", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* base64url(RS256 signature of input). */
static char *sign_rs256(EVP_PKEY *key, const char *input, struct err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 0;
	unsigned char *sig = NULL;
	char *out = NULL;
	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)input, strlen(input)) == 1) {
		sig = xmalloc(n);
		if (EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input, strlen(input)) == 1)
			out = oauth_b64url(sig, n);
	}
	if (out == NULL)
		err_set(err, ERR_CONFIG, "oauth: signing the client assertion failed");
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

static char *random_jti(void)
{
	unsigned char r[16];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		fatalx("oauth: getrandom failed");
	return oauth_b64url(r, sizeof(r));
}

static char *jwt_claims(const struct oauth_config *oc, time_t now)
{
	char *jti = random_jti();
	jnode *c = jn_object();
	jn_set_str(c, "aud", oc->token_url);
	jn_set_str(c, "iss", oc->client_id);
	jn_set_str(c, "sub", oc->client_id);
	jn_set_str(c, "jti", jti);
	jn_set_int(c, "nbf", now);
	jn_set_int(c, "iat", now);
	jn_set_int(c, "exp", now + OAUTH_ASSERTION_LIFETIME);
	char *text = jn_dump(c, JN_COMPACT);
	jn_free(c);
	free(jti);
	return text;
}

int oauth_jwt_assertion(const struct oauth_config *oc, time_t now, char **jwt_r,
			struct err *err)
{
	*jwt_r = NULL;
	char *x5t = cert_thumbprint(oc->client_cert_file, err);
	EVP_PKEY *key = x5t ? load_key(oc->client_key_file, err) : NULL;
	if (key == NULL) {
		free(x5t);
		return -1;
	}
	char *header = xasprintf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", x5t);
	char *claims = jwt_claims(oc, now);
	char *h64 = b64url_str(header), *c64 = b64url_str(claims);
	char *input = xasprintf("%s.%s", h64, c64);
	char *sig = sign_rs256(key, input, err);
	if (sig != NULL)
		*jwt_r = xasprintf("%s.%s", input, sig);
	free(sig);
	free(input);
	free(h64);
	free(c64);
	free(claims);
	free(header);
	free(x5t);
	EVP_PKEY_free(key);
	return *jwt_r ? 0 : -1;
}

int oauth_client_auth(const struct oauth_config *oc, time_t now, struct buf *b,
		      struct err *err)
{
	oauth_form_add(b, "client_id", oc->client_id);
	if (oc->client_cert_file == NULL) {
		oauth_form_add(b, "client_secret", oc->client_secret);
		return 0;
	}
	char *jwt = NULL;
	if (oauth_jwt_assertion(oc, now, &jwt, err) < 0)
		return -1;
	oauth_form_add(b, "client_assertion_type",
		       "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	oauth_form_add(b, "client_assertion", jwt);
	free(jwt);
	return 0;
}

char *oauth_grant_form(const struct oauth_config *oc, const char *refresh_token, time_t now,
		       struct err *err)
{
	struct buf b;
	buf_init(&b, 4 * OAUTH_RESPONSE_MAX);
	if (oc->grant == GRANT_CLIENT_CREDENTIALS) {
		buf_puts(&b, "grant_type=client_credentials");
	} else {
		buf_puts(&b, "grant_type=refresh_token");
		oauth_form_add(&b, "refresh_token", refresh_token);
	}
	oauth_form_add(&b, "scope", oc->scope);
	if (oauth_client_auth(oc, now, &b, err) < 0) {
		char *s = buf_steal(&b);
		explicit_bzero(s, strlen(s));
		free(s);
		return NULL;
	}
	return buf_steal(&b);
}
