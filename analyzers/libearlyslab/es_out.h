/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libearlyslab: output of the commands, as text, CSV or streamed JSON
 * (libyajl's generator, streaming: no document is built in memory).
 *
 * Everything written through an es_out goes into one large buffer that
 * is handed to the stream in big chunks (one fwrite per ES_OUT_BUF bytes
 * instead of one locked stdio call per JSON token or field). Write either
 * through the es_out_*() functions or to o->f directly, not both at once:
 * es_out_flush() first.
 */
#ifndef ES_OUT_H
#define ES_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "es_internal.h"

#define ES_OUT_BUF	(256 * 1024)
/* The buffer starts this small and doubles up to ES_OUT_BUF when needed. */
#define ES_OUT_MIN	4096

struct es_out {
	struct es_trace *t;
	FILE *f;
	FILE *err;
	yajl_gen g;		/* NULL unless JSON */
	bool json;
	bool pretty;
	bool csv;
	bool werr;		/* a write to f failed */
	char *buf;		/* cap bytes, len of them pending */
	size_t len;
	size_t cap;		/* ES_OUT_MIN .. ES_OUT_BUF */
	uint64_t flushed;	/* bytes handed to f so far */
};

int es_out_open(struct es_out *o, struct es_trace *t, FILE *f, FILE *err,
		bool json, bool pretty, bool csv);
/* Ends the JSON document with a newline; returns -1 on a write error. */
int es_out_close(struct es_out *o);

/* Hand what is buffered to o->f; -1 on a write error (so far). */
int es_out_flush(struct es_out *o);
/* True once a write has failed: callers stop early. */
bool es_out_error(const struct es_out *o);
/* Room for @n more bytes: a larger buffer, or a flush. */
void es_out_room(struct es_out *o, size_t n);

void es_out_write(struct es_out *o, const char *s, size_t n);
void es_out_printf(struct es_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void es_out_putc(struct es_out *o, char c)
{
	if (o->len == o->cap)
		es_out_room(o, 1);
	o->buf[o->len++] = c;
}

static inline void es_out_puts(struct es_out *o, const char *s)
{
	es_out_write(o, s, strlen(s));
}

void jstr(struct es_out *o, const char *s);
void jint(struct es_out *o, long long v);
void ju64(struct es_out *o, uint64_t v);
void jhex(struct es_out *o, uint64_t v);
void jbool(struct es_out *o, bool v);
void jnull(struct es_out *o);
void jseq(struct es_out *o, uint64_t seq);	/* null for ES_NO_SEQ */
void jmap_open(struct es_out *o);
void jmap_close(struct es_out *o);
void jarr_open(struct es_out *o);
void jarr_close(struct es_out *o);

/*
 * key: value helpers, inline so that the length of a literal key is known
 * at compile time (millions of them in a dump)
 */
static inline void jkey(struct es_out *o, const char *k)
{
	yajl_gen_string(o->g, (const unsigned char *)k, strlen(k));
}

#define ES_JK(name, type, fn)						\
	static inline void jk_##name(struct es_out *o, const char *k,	\
				     type v)				\
	{								\
		jkey(o, k);						\
		fn(o, v);						\
	}
ES_JK(str, const char *, jstr)
ES_JK(int, long long, jint)
ES_JK(u64, uint64_t, ju64)
ES_JK(hex, uint64_t, jhex)
ES_JK(bool, bool, jbool)
ES_JK(seq, uint64_t, jseq)
#undef ES_JK
/* "<k>": "0x...", plus "<k>_sym" and "<k>_src" when a vmlinux is there */
void jk_caller(struct es_out *o, const char *k, uint64_t addr);

/* CSV: one field, quoted when needed; sep is written before it if set. */
void csv_field(struct es_out *o, bool sep, const char *s);
void csv_u64(struct es_out *o, bool sep, uint64_t v);
void csv_hex(struct es_out *o, bool sep, uint64_t v);
void csv_int(struct es_out *o, bool sep, long long v);

/* "func+0x1a/0x80 (mm/slab.c:123)" or "0xffffffff81234567" */
const char *caller_text(struct es_out *o, uint64_t addr, char *buf,
			size_t len, bool with_src);

int es_cmd_export(struct es_out *o, int argc, char **argv);

/* fmt.c: the records of the commands' output, in o's format */
const char *es_fmt_node(char *b, size_t n, int32_t nid, int32_t req);
const char *es_source_name(uint32_t source);
const char *es_run_state(const struct es_run *run);
/* dump: the header line (text, CSV), then one record per event */
void es_fmt_event_header(struct es_out *o);
void es_fmt_event(struct es_out *o, const struct es_event *ev);
/* a run of ownership as a JSON object */
void es_emit_run(struct es_out *o, const struct es_run *run);
void es_fmt_run_text(struct es_out *o, const struct es_run *run);
#define ES_RUN_CSV_HEADER "pfn,slab_pfn,order,cache,name,node,nid_req,state,alloc_seq,alloc_phase,alloc_path,alloc_caller,free_seq,free_phase,free_path,free_caller\n"
void es_fmt_run_csv(struct es_out *o, uint64_t pfn, const struct es_run *run);
/* owners: @verify is NULL, or the state with @pg (NULL if unreadable) */
void es_fmt_owner_json(struct es_out *o, const struct es_run *r,
		       const struct es_page *pg, const char *verify);
void es_fmt_owner_csv(struct es_out *o, const struct es_run *r);
/* check: one anomaly; returns -1 on a write error */
int es_fmt_anomaly(struct es_out *o, const struct es_anomaly *a);

#endif /* ES_OUT_H */
