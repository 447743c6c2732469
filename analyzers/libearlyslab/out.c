// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: text, CSV and streamed JSON output helpers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "es_out.h"

static void print_cb(void *ctx, const char *s, size_t len)
{
	fwrite(s, 1, len, ctx);
}

int es_out_open(struct es_out *o, struct es_trace *t, FILE *f, FILE *err,
		bool json, bool pretty, bool csv)
{
	memset(o, 0, sizeof(*o));
	o->t = t;
	o->f = f;
	o->err = err;
	o->json = json || pretty;
	o->pretty = pretty;
	o->csv = csv && !o->json;
	if (!o->json)
		return 0;
	o->g = yajl_gen_alloc(NULL);
	if (!o->g)
		return -1;
	yajl_gen_config(o->g, yajl_gen_print_callback, print_cb, f);
	if (pretty) {
		yajl_gen_config(o->g, yajl_gen_beautify, 1);
		yajl_gen_config(o->g, yajl_gen_indent_string, "  ");
	}
	return 0;
}

int es_out_close(struct es_out *o)
{
	if (o->g) {
		/* yajl's beautifier already ends the document with '\n' */
		if (!o->pretty)
			fputc('\n', o->f);
		yajl_gen_free(o->g);
		o->g = NULL;
	}
	if (fflush(o->f) || ferror(o->f))
		return -1;
	return 0;
}

/* Strings from the trace or the vmlinux: keep JSON valid ASCII. */
void jstr(struct es_out *o, const char *s)
{
	char buf[512];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[i] = '\0';
	yajl_gen_string(o->g, (const unsigned char *)buf, i);
}

void jkey(struct es_out *o, const char *k)
{
	yajl_gen_string(o->g, (const unsigned char *)k, strlen(k));
}

void jint(struct es_out *o, long long v)
{
	yajl_gen_integer(o->g, v);
}

void ju64(struct es_out *o, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	yajl_gen_number(o->g, b, (size_t)n);
}

void jhex(struct es_out *o, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	jstr(o, b);
}

void jbool(struct es_out *o, bool v)
{
	yajl_gen_bool(o->g, v);
}

void jnull(struct es_out *o)
{
	yajl_gen_null(o->g);
}

void jseq(struct es_out *o, uint64_t seq)
{
	if (seq == ES_NO_SEQ)
		jnull(o);
	else
		ju64(o, seq);
}

void jmap_open(struct es_out *o)
{
	yajl_gen_map_open(o->g);
}

void jmap_close(struct es_out *o)
{
	yajl_gen_map_close(o->g);
}

void jarr_open(struct es_out *o)
{
	yajl_gen_array_open(o->g);
}

void jarr_close(struct es_out *o)
{
	yajl_gen_array_close(o->g);
}

void jk_str(struct es_out *o, const char *k, const char *v)
{
	jkey(o, k);
	jstr(o, v);
}

void jk_int(struct es_out *o, const char *k, long long v)
{
	jkey(o, k);
	jint(o, v);
}

void jk_u64(struct es_out *o, const char *k, uint64_t v)
{
	jkey(o, k);
	ju64(o, v);
}

void jk_hex(struct es_out *o, const char *k, uint64_t v)
{
	jkey(o, k);
	jhex(o, v);
}

void jk_bool(struct es_out *o, const char *k, bool v)
{
	jkey(o, k);
	jbool(o, v);
}

void jk_seq(struct es_out *o, const char *k, uint64_t seq)
{
	jkey(o, k);
	jseq(o, seq);
}

void jk_caller(struct es_out *o, const char *k, uint64_t addr)
{
	struct es_symbol s;
	char key[64], buf[512];

	jk_hex(o, k, addr);
	if (!o->t->vmlinux || es_symbolize(o->t, addr, &s))
		return;
	snprintf(key, sizeof(key), "%s_sym", k);
	jkey(o, key);
	if (s.found) {
		es_format_caller(o->t, addr, buf, sizeof(buf));
		jstr(o, buf);
	} else {
		jnull(o);
	}
	snprintf(key, sizeof(key), "%s_src", k);
	jkey(o, key);
	if (s.file[0]) {
		snprintf(buf, sizeof(buf), "%s:%d", s.file, s.line);
		jstr(o, buf);
	} else {
		jnull(o);
	}
}

const char *caller_text(struct es_out *o, uint64_t addr, char *buf,
			size_t len, bool with_src)
{
	struct es_symbol s;
	size_t n;

	es_format_caller(o->t, addr, buf, len);
	if (!with_src || !o->t->vmlinux || es_symbolize(o->t, addr, &s) ||
	    !s.file[0])
		return buf;
	n = strlen(buf);
	if (n < len)
		snprintf(buf + n, len - n, " (%s:%d)", s.file, s.line);
	return buf;
}

void csv_field(struct es_out *o, bool sep, const char *s)
{
	const char *p;

	if (sep)
		fputc(',', o->f);
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, o->f);
		return;
	}
	fputc('"', o->f);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', o->f);
		fputc(*p, o->f);
	}
	fputc('"', o->f);
}

void csv_u64(struct es_out *o, bool sep, uint64_t v)
{
	fprintf(o->f, "%s%" PRIu64, sep ? "," : "", v);
}

void csv_hex(struct es_out *o, bool sep, uint64_t v)
{
	fprintf(o->f, "%s0x%" PRIx64, sep ? "," : "", v);
}

void csv_int(struct es_out *o, bool sep, long long v)
{
	fprintf(o->f, "%s%lld", sep ? "," : "", v);
}
