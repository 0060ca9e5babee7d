/* metadata_list.h — private to metadata.c: lists of flat records of
 * strings in metadata.json ("unexamined", "linked_documents"), described
 * by a table of keys and field offsets. */
#ifndef INTAKED_METADATA_LIST_H
#define INTAKED_METADATA_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "intaked/json.h"

struct mdlist_field {
	const char *key;
	size_t offset;            /* of a char * in the record */
	bool required;            /* null or missing is an error */
};

struct mdlist_desc {
	const char *key;          /* of the array in metadata.json */
	size_t size;              /* of one record */
	const struct mdlist_field *fields;
	size_t nfields;
};

/* The records as a JSON array. */
jnode *mdlist_to_json(const struct mdlist_desc *d, const void *recs, size_t n);
/* Read the array d->key of obj (null or missing: none) into a new array of
 * records the caller frees with mdlist_free (also when obj's document failed:
 * the records read so far). */
void *mdlist_from_json(const struct mdlist_desc *d, const struct jval *obj, size_t *n_r);
void mdlist_free(const struct mdlist_desc *d, void *recs, size_t n);

#endif
