/* sasl.c — OAUTHBEARER (RFC 7628) messages: the GS2-framed initial
 * response and the error challenge a server sends when it refuses the
 * token. Base64 through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "intaked/json.h"
#include "intaked/log.h"
#include "sasl.h"
#include "intaked/util.h"

#define CHALLENGE_MAX 4096 /* base64 characters of an error challenge read */

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* RFC 6750 b64token is stricter; a provider's token only has to be one
 * unbroken run of visible ASCII not to break the framing. */
static bool token_ok(const char *t)
{
	if (t == NULL || t[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

/* Appends into a buffer sized in advance, so the token is never left
 * behind in a block freed by a realloc. */
struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		fatalx("sasl: message longer than computed");
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* RFC 5801 §4 saslname: "," and "=" are escaped, the rest as is. */
static void put_saslname(struct out *o, const char *user)
{
	for (const char *p = user; *p; p++) {
		if (*p == ',')
			puts_(o, "=2C");
		else if (*p == '=')
			puts_(o, "=3D");
		else
			put(o, p, 1);
	}
}

char *sasl_oauthbearer(const char *user, const char *host, int port, const char *token,
		       struct err *err)
{
	if (user == NULL || user[0] == '\0' || has_control(user)) {
		err_set(err, ERR_CONFIG, "oauthbearer: the user name is empty or has a control character");
		return NULL;
	}
	if (host == NULL || host[0] == '\0' || has_control(host) || port <= 0 || port > 65535) {
		err_set(err, ERR_CONFIG, "oauthbearer: no usable host and port");
		return NULL;
	}
	if (!token_ok(token)) {
		err_set(err, ERR_AUTH, "oauthbearer: the access token is empty or not visible ASCII");
		return NULL;
	}
	char portbuf[16];
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	/* The longest user (every byte escaped), host, port and token, plus
	 * the fixed parts (35 bytes). */
	struct out o = { .cap = 3 * strlen(user) + strlen(host) + strlen(portbuf) +
				strlen(token) + 40 };
	o.p = xmalloc(o.cap + 1);
	puts_(&o, "n,a=");
	put_saslname(&o, user);
	puts_(&o, ",\001host=");
	puts_(&o, host);
	puts_(&o, "\001port=");
	puts_(&o, portbuf);
	puts_(&o, "\001auth=Bearer ");
	puts_(&o, token);
	puts_(&o, "\001\001");
	return o.p;
}

char *sasl_base64(const void *data, size_t len)
{
	if (len > (size_t)INT_MAX / 2)
		fatalx("sasl: base64 input too long");
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

void sasl_error_status(const char *b64, char *out, size_t size)
{
	out[0] = '\0';
	size_t n = 0;
	while (b64[n] != '\0' && b64[n] != '\r' && b64[n] != '\n' && b64[n] != ' ' &&
	       n < CHALLENGE_MAX)
		n++;
	if (n == 0 || n % 4 != 0 || n == CHALLENGE_MAX)
		return;
	unsigned char raw[CHALLENGE_MAX];
	int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	if (len <= 0)
		return;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (b64[n - 1] == '=')
		len -= b64[n - 2] == '=' ? 2 : 1;
	struct jread rd;
	(void)jr_load(&rd, (const char *)raw, (size_t)len, CHALLENGE_MAX, JR_OBJECT);
	struct jval obj = jr_root(&rd);
	const char *s = jr_strref(&obj, "status");
	if (s != NULL) {
		size_t i = 0;
		for (; s[i] != '\0' && i + 1 < size && i < SASL_STATUS_MAX; i++)
			out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
		out[i] = '\0';
	}
	jr_close(&rd);
}

void sasl_wipe_free(char **s)
{
	if (*s == NULL)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}
