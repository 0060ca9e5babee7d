/* test_oauth_grant.c — what intaked sends a token endpoint: the form of
 * each grant (percent-encoded), and the private_key_jwt client assertion:
 * its header (RS256, x5t = the certificate's SHA-1 thumbprint), claims and
 * signature, checked here with OpenSSL against the certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "intaked/oauth.h"
#include "intaked/util.h"

static char dir[64], cert_path[128], key_path[128];
static EVP_PKEY *key;
static X509 *cert;

static void write_pem(const char *path, int (*fn)(FILE *, void *), void *obj)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fn(f, obj), 1);
	fclose(f);
}

static int pem_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(FILE *f, void *c)
{
	return PEM_write_X509(f, c);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_oauth_grant.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cert_path, sizeof(cert_path), "%s/app.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/app.key", dir);
	key = EVP_RSA_gen(2048);
	cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"intaked", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	if (X509_sign(cert, key, EVP_sha256()) == 0)
		return -1;
	write_pem(key_path, pem_key, key);
	write_pem(cert_path, pem_cert, cert);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	X509_free(cert);
	unlink(cert_path);
	unlink(key_path);
	return rmdir(dir);
}

static void test_form_encoding(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4096);
	oauth_form_add(&b, "scope", "https://outlook.office365.com/.default offline_access");
	oauth_form_add(&b, "empty", "");
	oauth_form_add(&b, "none", NULL);
	oauth_form_add(&b, "x", "a+b=c&d~_.-");
	char *s = buf_steal(&b);
	assert_string_equal(s, "&scope=https%3A%2F%2Foutlook.office365.com%2F.default%20offline_access"
			       "&x=a%2Bb%3Dc%26d~_.-");
	free(s);
}

static void test_grant_forms(void **state)
{
	(void)state;
	struct oauth_config oc = { .grant = GRANT_REFRESH_TOKEN, .token_url = "https://t/token",
				   .client_id = "cid", .client_secret = "s3cret" };
	struct err err = { 0 };
	char *f = oauth_grant_form(&oc, "rt-1", 1000, &err);
	assert_string_equal(f, "grant_type=refresh_token&refresh_token=rt-1&client_id=cid"
			       "&client_secret=s3cret");
	free(f);
	oc.grant = GRANT_CLIENT_CREDENTIALS;
	oc.scope = "https://outlook.office365.com/.default";
	f = oauth_grant_form(&oc, NULL, 1000, &err);
	assert_string_equal(f, "grant_type=client_credentials&scope=https%3A%2F%2Foutlook."
			       "office365.com%2F.default&client_id=cid&client_secret=s3cret");
	free(f);
	oc.client_cert_file = cert_path;
	oc.client_key_file = "/nonexistent/key.pem";
	assert_null(oauth_grant_form(&oc, NULL, 1000, &err));
	assert_int_equal(err.cls, ERR_CONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/key.pem"));
}

static unsigned char *b64url_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), padded = (n + 3) / 4 * 4;
	char *t = xcalloc(1, padded + 1);
	for (size_t i = 0; i < padded; i++)
		t[i] = i < n ? (s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]) : '=';
	unsigned char *out = xcalloc(1, padded);
	int r = EVP_DecodeBlock(out, (unsigned char *)t, (int)padded);
	assert_true(r >= 0);
	*len = (size_t)r - (padded - n); /* EVP_DecodeBlock counts the padding */
	free(t);
	return out;
}

static json_t *part_json(const char *b64)
{
	size_t len;
	unsigned char *raw = b64url_decode(b64, &len);
	json_t *j = json_loadb((char *)raw, len, 0, NULL);
	free(raw);
	assert_non_null(j);
	return j;
}

static void test_jwt_assertion(void **state)
{
	(void)state;
	struct oauth_config oc = { .grant = GRANT_CLIENT_CREDENTIALS,
				   .token_url = "https://login.example.org/t/oauth2/v2.0/token",
				   .client_id = "cid", .client_cert_file = cert_path,
				   .client_key_file = key_path };
	struct err err = { 0 };
	char *jwt = NULL;
	assert_int_equal(oauth_jwt_assertion(&oc, 1700000000, &jwt, &err), 0);
	char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	assert_non_null(dot2);
	*dot1 = '\0';
	*dot2 = '\0';
	json_t *h = part_json(jwt), *c = part_json(dot1 + 1);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	assert_int_equal(X509_digest(cert, EVP_sha1(), md, &mdlen), 1);
	char *x5t = oauth_b64url(md, mdlen);
	assert_string_equal(json_string_value(json_object_get(h, "x5t")), x5t);
	assert_string_equal(json_string_value(json_object_get(c, "aud")), oc.token_url);
	assert_string_equal(json_string_value(json_object_get(c, "iss")), "cid");
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "cid");
	assert_true(json_string_length(json_object_get(c, "jti")) >= 16);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")),
			 1700000000 + OAUTH_ASSERTION_LIFETIME);
	/* The signature verifies with the certificate's key. */
	size_t siglen;
	unsigned char *sig = b64url_decode(dot2 + 1, &siglen);
	*dot1 = '.';
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
					      X509_get0_pubkey(cert)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (unsigned char *)jwt, strlen(jwt)), 1);
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(x5t);
	json_decref(h);
	json_decref(c);
	free(jwt);
}

static void test_not_rsa_or_not_pem(void **state)
{
	(void)state;
	struct oauth_config oc = { .token_url = "https://t", .client_id = "cid",
				   .client_cert_file = key_path, .client_key_file = key_path };
	struct err err = { 0 };
	char *jwt = NULL;
	assert_int_equal(oauth_jwt_assertion(&oc, 1, &jwt, &err), -1);
	assert_non_null(strstr(err.msg, "not a PEM certificate"));
	oc.client_cert_file = cert_path;
	oc.client_key_file = cert_path;
	assert_int_equal(oauth_jwt_assertion(&oc, 1, &jwt, &err), -1);
	assert_non_null(strstr(err.msg, "not an RSA private key"));
	assert_null(jwt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_encoding),
		cmocka_unit_test(test_grant_forms),
		cmocka_unit_test(test_jwt_assertion),
		cmocka_unit_test(test_not_rsa_or_not_pem),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
