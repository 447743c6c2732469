// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: text, CSV and streamed JSON output helpers, all writing
 * into the es_out buffer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_out.h"

int es_out_flush(struct es_out *o)
{
	if (o->len && !o->werr &&
	    fwrite_unlocked(o->buf, 1, o->len, o->f) != o->len)
		o->werr = true;
	o->flushed += o->len;
	o->len = 0;
	return o->werr ? -1 : 0;
}

bool es_out_error(const struct es_out *o)
{
	return o->werr || ferror(o->f);
}

void es_out_room(struct es_out *o, size_t n)
{
	size_t cap = o->cap;
	char *b;

	if (o->len + n <= cap)
		return;
	while (cap < ES_OUT_BUF && cap < o->len + n)
		cap *= 2;
	if (cap > ES_OUT_BUF)
		cap = ES_OUT_BUF;
	if (cap > o->cap && (b = realloc(o->buf, cap))) {
		o->buf = b;
		o->cap = cap;
	}
	if (o->len + n > o->cap)
		es_out_flush(o);
}

void es_out_write(struct es_out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		es_out_room(o, n);
		if (n > o->cap) {
			if (!o->werr && fwrite_unlocked(s, 1, n, o->f) != n)
				o->werr = true;
			o->flushed += n;
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

void es_out_printf(struct es_out *o, const char *fmt, ...)
{
	size_t room = o->cap - o->len;
	va_list ap;
	char *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		o->len += (size_t)n;
		return;
	}
	/* did not fit: make room and write again, or go around the buffer */
	es_out_room(o, (size_t)n + 1);
	va_start(ap, fmt);
	if ((size_t)n < o->cap - o->len) {
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		o->len += (size_t)n;
	} else if (vasprintf(&big, fmt, ap) >= 0) {
		es_out_write(o, big, (size_t)n);
		free(big);
	}
	va_end(ap);
}

/* Digits of @v into the end of @end's buffer; returns the first. */
static char *fmt_dec(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static char *fmt_hex(char *end, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	do {
		*--end = digits[v & 15];
		v >>= 4;
	} while (v);
	*--end = 'x';
	*--end = '0';
	return end;
}

static char *fmt_int(char *end, long long v)
{
	char *p;

	if (v >= 0)
		return fmt_dec(end, (uint64_t)v);
	p = fmt_dec(end, -(uint64_t)v);
	*--p = '-';
	return p;
}

/* yajl hands over each token and separator: keep the common case short */
static void print_cb(void *ctx, const char *s, size_t len)
{
	struct es_out *o = ctx;
	size_t at = o->len;
	char *d;

	/* separators and quotes, most calls */
	if (len == 1 && at < o->cap) {
		o->buf[at] = *s;
		o->len = at + 1;
		return;
	}
	if (len > 16 || at + len > o->cap) {
		es_out_write(o, s, len);
		return;
	}
	d = o->buf + at;
	o->len = at + len;
	while (len--)
		*d++ = *s++;
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
	o->cap = ES_OUT_MIN;
	o->buf = malloc(o->cap);
	if (!o->buf)
		return -1;
	if (!o->json)
		return 0;
	o->g = yajl_gen_alloc(NULL);
	if (!o->g) {
		free(o->buf);
		o->buf = NULL;
		return -1;
	}
	yajl_gen_config(o->g, yajl_gen_print_callback, print_cb, o);
	if (pretty) {
		yajl_gen_config(o->g, yajl_gen_beautify, 1);
		yajl_gen_config(o->g, yajl_gen_indent_string, "  ");
	}
	return 0;
}

int es_out_close(struct es_out *o)
{
	int r;

	if (o->g) {
		/* yajl's beautifier already ends the document with '\n' */
		if (!o->pretty)
			es_out_putc(o, '\n');
		yajl_gen_free(o->g);
		o->g = NULL;
	}
	r = o->buf ? es_out_flush(o) : 0;
	free(o->buf);
	o->buf = NULL;
	if (fflush(o->f) || ferror(o->f) || r)
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

void jint(struct es_out *o, long long v)
{
	char b[24], *p = fmt_int(b + sizeof(b), v);

	yajl_gen_number(o->g, p, (size_t)(b + sizeof(b) - p));
}

void ju64(struct es_out *o, uint64_t v)
{
	char b[24], *p = fmt_dec(b + sizeof(b), v);

	yajl_gen_number(o->g, p, (size_t)(b + sizeof(b) - p));
}

void jhex(struct es_out *o, uint64_t v)
{
	char b[24], *p = fmt_hex(b + sizeof(b), v);

	yajl_gen_string(o->g, (const unsigned char *)p,
			(size_t)(b + sizeof(b) - p));
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
		es_out_putc(o, ',');
	if (!strpbrk(s, ",\"\n\r")) {
		es_out_puts(o, s);
		return;
	}
	es_out_putc(o, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			es_out_putc(o, '"');
		es_out_putc(o, *p);
	}
	es_out_putc(o, '"');
}

/* a number after an optional separator */
static void csv_num(struct es_out *o, bool sep, char *b, char *p)
{
	if (sep)
		*--p = ',';
	es_out_write(o, p, (size_t)(b - p));
}

void csv_u64(struct es_out *o, bool sep, uint64_t v)
{
	char b[32];

	csv_num(o, sep, b + sizeof(b), fmt_dec(b + sizeof(b), v));
}

void csv_hex(struct es_out *o, bool sep, uint64_t v)
{
	char b[32];

	csv_num(o, sep, b + sizeof(b), fmt_hex(b + sizeof(b), v));
}

void csv_int(struct es_out *o, bool sep, long long v)
{
	char b[32];

	csv_num(o, sep, b + sizeof(b), fmt_int(b + sizeof(b), v));
}

int es_error_json(FILE *f, const char *msg, int code, unsigned int out_flags)
{
	struct es_out o;

	if (es_out_open(&o, NULL, f, NULL, true, out_flags & ES_OUT_PRETTY,
			false))
		return -1;
	jmap_open(&o);
	jk_str(&o, "error", msg);
	jk_str(&o, "code", es_errcode_name(code));
	jmap_close(&o);
	return es_out_close(&o);
}
