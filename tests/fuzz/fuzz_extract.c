/* libFuzzer: the in-process document readers (docx, odt, rtf, html, txt,
 * md) on raw bytes, without the MIME and base64 layers in the way. The
 * first byte picks the reader. Whatever comes out must be valid UTF-8
 * within the cap, or a known error; pdf and doc go to external converters
 * and are left to fuzz_mime. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/extract.h"
#include "intaked/sanitize.h"
#include "intaked/wordcount.h"

static const char *const types[] = { "docx", "odt", "rtf", "html", "txt", "md" };
static const char *const errors[] = { "too_large", "encrypted", "corrupt", "unsupported",
				      "timeout", "no_text", "too_deep", "zip_bomb" };
static struct limits_config limits;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	limits.max_attachment_size = 1u << 20;
	limits.max_unpacked_size = 8u << 20;
	limits.max_unpack_ratio = 100;
	limits.max_zip_entries = 200;
	limits.max_xml_depth = 64;
	limits.extract_timeout = 5;
	return 0;
}

static int known_error(const char *e)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (e && strcmp(e, errors[i]) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	const unsigned char *doc = data + 1;
	size_t len = size - 1;
	char *text = NULL;
	const char *error = NULL;

	(void)extract_detect_type(doc, len, "input.docx", "application/octet-stream");
	if (extract_text(type, doc, len, (data[0] & 0x80) ? "iso-8859-1" : NULL, &limits,
			 &text, &error) == 0) {
		size_t n = strlen(text);
		char *valid = sanitize_utf8(text, n);
		if (strcmp(valid, text) != 0)
			abort(); /* the readers promise UTF-8 */
		free(valid);
		if (wordcount_text(text, n) < 0)
			abort();
		free(text);
	} else if (!known_error(error)) {
		abort();
	}
	return 0;
}
