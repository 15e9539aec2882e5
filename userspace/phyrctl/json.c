// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl --json: one JSON document per command on stdout.
 *
 * The document is an object. The command's scalar members and its arrays
 * ("objects", "tables", "checks", ...) fill in while the command runs, in
 * memory streams, since their elements come in any order; json_finish()
 * writes the whole document once the command is done, with its exit
 * status and its error message. Strings are escaped as RFC 8259 asks;
 * bytes that are not UTF-8 become U+FFFD, so the output always parses.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phyrctl.h"

#define MAX_ARRAYS	16

bool json_mode;

struct json_array {
	const char *name;
	char *buf;
	size_t len;
	FILE *f;
	int n;			/* elements so far */
};

static struct json_doc {
	char *buf;		/* the scalar members */
	size_t len;
	FILE *f;
	struct jw top;
	struct json_array arr[MAX_ARRAYS];
	int narr;
	char error[512];
} doc;

/* the length of the UTF-8 sequence at @s, 0 if it is not one */
static size_t utf8_len(const unsigned char *s)
{
	/* per length: the lead byte's marker bits, its value bits, the least */
	static const struct {
		unsigned char mask, lead;
		unsigned int min;
	} seq[] = {
		{ 0xe0, 0xc0, 0x80 }, { 0xf0, 0xe0, 0x800 }, { 0xf8, 0xf0, 0x10000 },
	};
	unsigned int c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	for (n = 0; n < 3; n++)
		if ((s[0] & seq[n].mask) == seq[n].lead)
			break;
	if (n == 3)
		return 0;
	c = s[0] & ~seq[n].mask & 0xff;
	for (i = 1; i <= n + 1; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are no characters */
	if (c < seq[n].min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n + 2;
}

void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n;

	fputc('"', f);
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			n = utf8_len(p);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	fputc('"', f);
}

/* ---- members of an object or elements of an array ---- */

/* the separator and, in an object, the key */
static void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	if (key) {
		json_string(w->f, key);
		fputc(':', w->f);
	}
}

void jw_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v)
		json_string(w->f, v);
	else
		fputs("null", w->f);
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_int(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	fprintf(w->f, "%lld", v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	fputs(v ? "true" : "false", w->f);
}

void jw_double(struct jw *w, const char *key, double v)
{
	jw_key(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.3f", v);
	else
		fputs("null", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	fputs("null", w->f);
}

void jw_open(struct jw *w, const char *key, char bracket, struct jw *inner)
{
	jw_key(w, key);
	fputc(bracket, w->f);
	inner->f = w->f;
	inner->first = true;
}

void jw_close(struct jw *inner, char bracket)
{
	fputc(bracket, inner->f);
}

/* ---- the document ---- */

int json_begin(void)
{
	memset(&doc, 0, sizeof(doc));
	doc.f = open_memstream(&doc.buf, &doc.len);
	if (!doc.f)
		return -1;
	doc.top.f = doc.f;
	doc.top.first = true;
	return 0;
}

struct jw *json_top(void)
{
	return &doc.top;
}

static struct json_array *json_array(const char *name)
{
	struct json_array *a;
	int i;

	for (i = 0; i < doc.narr; i++)
		if (!strcmp(doc.arr[i].name, name))
			return &doc.arr[i];
	if (doc.narr == MAX_ARRAYS)
		return NULL;
	a = &doc.arr[doc.narr];
	a->f = open_memstream(&a->buf, &a->len);
	if (!a->f)
		return NULL;
	a->name = name;
	doc.narr++;
	return a;
}

bool json_item(const char *array, struct jw *obj)
{
	struct json_array *a;

	if (!json_mode || !doc.f)
		return false;
	a = json_array(array);
	if (!a)
		return false;
	if (a->n++)
		fputc(',', a->f);
	fputc('{', a->f);
	obj->f = a->f;
	obj->first = true;
	return true;
}

void json_item_end(struct jw *obj)
{
	fputc('}', obj->f);
}

void json_error(const char *fmt, va_list ap)
{
	size_t len = strlen(doc.error);

	if (len)	/* keep every message, one per line */
		len += snprintf(doc.error + len, sizeof(doc.error) - len, "\n");
	if (len < sizeof(doc.error))
		vsnprintf(doc.error + len, sizeof(doc.error) - len, fmt, ap);
}

void json_finish(const char *command, int status)
{
	struct jw w = { .f = stdout, .first = true };
	int i;

	if (!doc.f)
		return;
	fflush(doc.f);
	fputc('{', stdout);
	jw_str(&w, "command", command);
	jw_str(&w, "version", PHYR_VERSION);
	jw_int(&w, "status", status);
	jw_bool(&w, "ok", status == EXIT_OK);
	jw_str(&w, "error", doc.error[0] ? doc.error : NULL);
	if (doc.len)
		fprintf(stdout, ",%.*s", (int)doc.len, doc.buf);
	for (i = 0; i < doc.narr; i++) {
		struct json_array *a = &doc.arr[i];

		fflush(a->f);
		jw_key(&w, a->name);
		fprintf(stdout, "[%.*s]", (int)a->len, a->buf);
		fclose(a->f);
		free(a->buf);
	}
	fputs("}\n", stdout);
	fflush(stdout);
	fclose(doc.f);
	free(doc.buf);
	memset(&doc, 0, sizeof(doc));
}

/* ---- text output ---- */

int tprint(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (json_mode)
		return 0;
	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
