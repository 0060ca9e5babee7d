/* metadata_list.c — see metadata_list.h. */
#include "metadata_list.h"

#include <stdint.h>
#include <stdlib.h>

#include "intaked/util.h"

static char **field(const struct mdlist_desc *d, const void *recs, size_t i, size_t f)
{
	return (char **)((char *)recs + i * d->size + d->fields[f].offset);
}

jnode *mdlist_to_json(const struct mdlist_desc *d, const void *recs, size_t n)
{
	jnode *arr = jn_array();

	for (size_t i = 0; i < n; i++) {
		jnode *o = jn_object();

		for (size_t f = 0; f < d->nfields; f++)
			jn_set_str(o, d->fields[f].key, *field(d, recs, i, f));
		jn_push(arr, o);
	}
	return arr;
}

static void read_record(const struct mdlist_desc *d, const struct jval *o, void *recs, size_t i)
{
	for (size_t f = 0; f < d->nfields; f++) {
		char *s = jr_str(o, d->fields[f].key);

		if (s == NULL && d->fields[f].required)
			jr_fail(o, d->fields[f].key, "is missing");
		*field(d, recs, i, f) = s;
	}
}

void *mdlist_from_json(const struct mdlist_desc *d, const struct jval *obj, size_t *n_r)
{
	struct jval arr;
	size_t n = jr_array(obj, d->key, SIZE_MAX, &arr);
	void *recs = NULL;

	*n_r = 0;
	if (n > 0)
		recs = xcalloc(n, d->size);
	for (size_t i = 0; i < n && !obj->rd->failed; i++) {
		struct jval o = jr_item(&arr, i);

		(*n_r)++;
		if (!jr_is_object(&o)) {
			jr_fail(obj, d->key, "is not an array of objects");
			break;
		}
		read_record(d, &o, recs, i);
	}
	return recs;
}

void mdlist_free(const struct mdlist_desc *d, void *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < d->nfields; f++)
			free(*field(d, recs, i, f));
	free(recs);
}
