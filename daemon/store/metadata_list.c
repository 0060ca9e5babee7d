/* metadata_list.c — see metadata_list.h. */
#include "metadata_list.h"

#include <stdlib.h>

#include "intaked/log.h"
#include "intaked/util.h"

static char **field(const struct mdlist_desc *d, const void *recs, size_t i, size_t f)
{
	return (char **)((char *)recs + i * d->size + d->fields[f].offset);
}

json_t *mdlist_to_json(const struct mdlist_desc *d, const void *recs, size_t n,
		       json_t *(*jstr)(const char *))
{
	json_t *arr = json_array();

	if (arr == NULL)
		fatalx("event=oom in=mdlist_to_json");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();

		for (size_t f = 0; f < d->nfields; f++)
			if (o == NULL ||
			    json_object_set_new(o, d->fields[f].key, jstr(*field(d, recs, i, f))) < 0)
				fatalx("event=oom in=mdlist_to_json");
		if (json_array_append_new(arr, o) < 0)
			fatalx("event=oom in=mdlist_to_json");
	}
	return arr;
}

int mdlist_from_json(const struct mdlist_desc *d, json_t *arr, void **recs_r, size_t *n_r,
		     const char **bad_r)
{
	size_t n;

	*recs_r = NULL;
	*n_r = 0;
	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr)) {
		*bad_r = d->key;
		return -1;
	}
	n = json_array_size(arr);
	*recs_r = xcalloc(n ? n : 1, d->size);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);

		(*n_r)++;
		if (!json_is_object(o)) {
			*bad_r = d->key;
			return -1;
		}
		for (size_t f = 0; f < d->nfields; f++) {
			json_t *v = json_object_get(o, d->fields[f].key);

			if (json_is_string(v))
				*field(d, *recs_r, i, f) = xstrdup(json_string_value(v));
			else if ((v != NULL && !json_is_null(v)) || d->fields[f].required) {
				*bad_r = d->fields[f].key;
				return -1;
			}
		}
	}
	return 0;
}

void mdlist_free(const struct mdlist_desc *d, void *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < d->nfields; f++)
			free(*field(d, recs, i, f));
	free(recs);
}
