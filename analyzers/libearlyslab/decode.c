// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: the header and the record slots, following the reader
 * contract of early_slab_trace.h through est_check_header() and
 * est_slot_status().
 *
 * Slot i of a valid buffer holds sequence number i (anything else is
 * reported as bad by est_slot_status()), so walking the slots in index order
 * is walking the events in sequence order: nothing needs sorting and nothing
 * is kept per event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "es_internal.h"

bool es_loaded(struct es_trace *t)
{
	if (t && t->loaded)
		return true;
	if (t)
		es_set_error(t, "no trace loaded");
	return false;
}

/*
 * es_check_hdr() - validate @hdr, @len bytes being readable from its start
 * on, and make it the trace's header. On error the message names t->name.
 */
int es_check_hdr(struct es_trace *t, const struct est_header *hdr,
		 uint64_t len)
{
	struct est_header *h = &t->hdr;
	enum est_hdr_error e;
	uint64_t need;

	if (h != hdr)
		memcpy(h, hdr, sizeof(*h));
	e = est_check_header(h, len);
	switch (e) {
	case EST_HDR_OK:
		break;
	case EST_HDR_SHORT:
		if (!len)
			es_set_error(t, "%s: empty (no trace header)", t->name);
		else
			es_set_error(t,
				     "%s: %llu bytes, shorter than the %zu-byte trace header",
				     t->name, (unsigned long long)len,
				     sizeof(*h));
		return -1;
	case EST_HDR_MAGIC:
		es_set_error(t,
			     "%s: bad magic 0x%016llx (not an early_slab_trace buffer)",
			     t->name, (unsigned long long)h->magic);
		return -1;
	case EST_HDR_VERSION:
		es_set_error(t,
			     "%s: unsupported trace format version %u (this earlyslab reads versions %u to %u)",
			     t->name, h->version, EST_VERSION_MIN, EST_VERSION);
		return -1;
	case EST_HDR_SIZES:
		es_set_error(t,
			     "%s: implausible header: header_size %u, record_size %u, capacity %u (%s)",
			     t->name, h->header_size, h->record_size,
			     h->capacity, est_hdr_error_str(e));
		return -1;
	case EST_HDR_TRUNCATED:
		need = (uint64_t)h->header_size +
		       (uint64_t)h->capacity * h->record_size;
		es_set_error(t,
			     "%s: truncated: header announces %u records of %u bytes (%llu bytes), only %llu present",
			     t->name, h->capacity, h->record_size,
			     (unsigned long long)need,
			     (unsigned long long)len);
		return -1;
	default:
		es_set_error(t, "%s: %s", t->name, est_hdr_error_str(e));
		return -1;
	}
	t->mark_max = es_mark_max(h->version);
	t->type_max = es_type_max(h->version);
	return 0;
}

/*
 * @len bytes of the raw file at @off into @buf. A file that shrank under
 * us reads as zeroes there (slots never written) and fails the trace's
 * I/O, which es_io_check() then reports.
 */
static void read_at(struct es_trace *t, unsigned char *buf, size_t len,
		    uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(t->raw_fd, buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == len)
		return;
	memset(buf + got, 0, len - got);
	if (!t->io_failed)
		es_set_error(t, "%s: cut short while being read (%llu of %llu bytes readable)",
			     t->name, (unsigned long long)(off + got),
			     (unsigned long long)t->trace_avail);
	t->io_failed = true;
}

/* Fill the window of a raw file with the slots from @slot on. */
void es_fill_window(struct es_trace *t, uint64_t slot)
{
	uint64_t n = t->nslots - slot;

	if (n > t->win_slots)
		n = t->win_slots;
	read_at(t, t->win, (size_t)(n * t->hdr.record_size),
		t->hdr.header_size + slot * t->hdr.record_size);
	t->win_first = slot;
	t->win_nr = n;
}

int es_io_check(struct es_trace *t)
{
	return t->io_failed ? -1 : 0;
}

static_assert(ES_NR_TYPES >= EST_EV_MAX, "es_status.by_type too small");
static_assert(sizeof(ES_LARGE_NAME) == ES_NAME_LEN, "the large kmalloc owner");

static bool type_has_pfn(uint32_t type, uint32_t path)
{
	switch (type) {
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_SKIP:
	case EST_EV_LARGE_FREE:
		return true;
	case EST_EV_LARGE:
		return path != EST_PATH_REFUSED;
	}
	return false;
}

/* How many page frames an event covers (0 if it carries no pfn). */
uint64_t es_event_pages(const struct es_event *ev)
{
	if (ev->status != ES_SLOT_OK || !type_has_pfn(ev->type, ev->path))
		return 0;
	if (ev->type == EST_EV_SKIP && ev->arg)
		return ev->arg;
	if (!es_order_ok(ev->order))
		return 0;
	return 1ULL << ev->order;
}

/*
 * Why a committed record cannot be taken as it is, into @buf; NULL if it
 * can. Its type, phase and path must be known, an order must be one the
 * buddy allocator has, and the frames it covers must not run past the
 * last pfn (the last one being the "no pfn" value).
 */
const char *es_implausible(const struct es_event *ev, char *buf, size_t n)
{
	uint64_t pages;

	if (!ev->type || ev->type >= EST_EV_MAX ||
	    ev->phase >= EST_PHASE_MAX || ev->path >= EST_PATH_MAX) {
		if (buf)
			snprintf(buf, n, "unknown type %u, phase %u or path %u",
				 ev->type, ev->phase, ev->path);
		return buf ? buf : "";
	}
	switch (ev->type) {
	case EST_EV_LARGE:
		if (!es_large_owns(ev->type, ev->path))
			break;
		/* fall through */
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_LARGE_FREE:
		if (!es_order_ok(ev->order) ||
		    ev->pfn + (1ULL << ev->order) <= ev->pfn) {
			if (buf)
				snprintf(buf, n, "implausible order %u at pfn 0x%llx",
					 ev->order, (unsigned long long)ev->pfn);
			return buf ? buf : "";
		}
		break;
	case EST_EV_SKIP:
		pages = ev->arg ? ev->arg : 1ULL << (ev->order & 63);
		if (!es_order_ok(ev->order) ||
		    pages > (1ULL << (ES_MAX_ORDER - 1)) ||
		    ev->pfn + pages <= ev->pfn) {
			if (buf)
				snprintf(buf, n, "implausible skip of %llu frames (order %u) at pfn 0x%llx",
					 (unsigned long long)pages, ev->order,
					 (unsigned long long)ev->pfn);
			return buf ? buf : "";
		}
		break;
	}
	return NULL;
}

const char *es_bad_reason(struct es_trace *t, const struct es_event *ev,
			  char *buf, size_t n)
{
	struct est_record rec;

	memcpy(&rec, es_slot_ptr(t, ev->seq), sizeof(rec));
	if (est_slot_status(&rec, ev->seq) != EST_SLOT_OK)
		return "committed slot with a wrong sequence number or state";
	if (ev->type && ev->type < EST_EV_MAX && ev->type > t->type_max) {
		if (!buf)
			return "event type not defined in this format version";
		snprintf(buf, n, "event type %u (%s) is not defined in format version %u",
			 ev->type, es_type_name(ev->type), t->hdr.version);
		return buf;
	}
	if (ev->type == EST_EV_MARK &&
	    (!ev->arg || ev->arg > t->mark_max)) {
		if (!buf)
			return "mark not defined in this format version";
		snprintf(buf, n, "mark %llu is not defined in format version %u",
			 (unsigned long long)ev->arg, t->hdr.version);
		return buf;
	}
	return es_implausible(ev, buf, n);
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* Mask of the bytes of @w before its first NUL, at most @max of them. */
static inline uint64_t prefix_mask(uint64_t w, unsigned int max)
{
	uint64_t z = (w - ONES) & ~w & HIGHS;	/* lowest bit: first NUL */
	unsigned int n = z ? (unsigned int)__builtin_ctzll(z) / 8 : 8;

	if (n > max)
		n = max;
	return n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
}

/* Whether the bytes of @w under @keep are all printable ASCII. */
static inline bool printable(uint64_t w, uint64_t keep)
{
	return !(((w - 0x20 * ONES) | (w + ONES) | w) & HIGHS & keep);
}

/*
 * The cache name, untrusted: up to NUL or ES_NAME_LEN - 1 bytes, anything
 * but printable ASCII replaced, as es_sanitize() does, a word at a time
 * when the name is clean.
 */
static inline void copy_name(char *dst, const char *src)
{
	uint64_t w[2], m0, m1 = 0;
	size_t i;

	static_assert(ES_NAME_LEN == 16 && EST_NAME_LEN == 16, "name size");
	memcpy(w, src, sizeof(w));
	m0 = prefix_mask(w[0], 8);
	if (m0 == ~0ULL)
		m1 = prefix_mask(w[1], 7);
	w[0] &= m0;
	w[1] &= m1;
	if (printable(w[0], m0) && printable(w[1], m1)) {
		memcpy(dst, w, sizeof(w));
		return;
	}
	for (i = 0; i + 1 < ES_NAME_LEN && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	memset(dst + i, 0, ES_NAME_LEN - i);
}

/*
 * es_implausible() == NULL, quickly for the common records, and a type
 * and a mark defined in the trace's format version (1 .. t->type_max,
 * 1 .. t->mark_max).
 */
static inline bool plausible(const struct est_record *rec,
			     const struct es_trace *t)
{
	struct es_event ev;

	if (rec->phase >= EST_PHASE_MAX || rec->path >= EST_PATH_MAX ||
	    rec->type > t->type_max)
		return false;
	switch (rec->type) {
	case EST_EV_LARGE:
		if (!es_large_owns(rec->type, rec->path))
			return true;
		/* fall through */
	case EST_EV_GETPAGES:
	case EST_EV_FREEPAGES:
	case EST_EV_LARGE_FREE:
		return es_order_ok(rec->order) &&
		       rec->pfn + (1ULL << rec->order) > rec->pfn;
	case EST_EV_MARK:
		return rec->arg >= 1 && rec->arg <= t->mark_max;
	case EST_EV_PHASE:
	case EST_EV_SLAB_STATE:
	case EST_EV_NOPAGES:
		return true;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = rec->type;
	ev.phase = rec->phase;
	ev.path = rec->path;
	ev.order = rec->order;
	ev.pfn = rec->pfn;
	ev.arg = rec->arg;
	return !es_implausible(&ev, NULL, 0);
}


/* Slot @slot, at @bytes, into @ev; the cache name only if @name. */
static inline void decode_bytes(struct es_trace *t, const unsigned char *bytes,
				uint64_t slot, struct es_event *ev, bool name)
{
	struct est_record rec;
	uint32_t status;

	/* Copy first: the bytes may be unaligned and are never trusted. */
	memcpy(&rec, bytes, sizeof(rec));
	status = (uint32_t)est_slot_status(&rec, slot);
	if (status != ES_SLOT_OK) {
		memset(ev, 0, sizeof(*ev));
		ev->seq = slot;
		ev->status = status;
		return;
	}
	es_event_fill(ev, &rec, slot);
	if (name)
		copy_name(ev->name, rec.name);
	else
		memset(ev->name, 0, sizeof(ev->name));
	/* the frames of a large kmalloc have an owner, but no cache */
	if (name && !ev->name[0] && es_large_owns(ev->type, ev->path))
		memcpy(ev->name, ES_LARGE_NAME, sizeof(ES_LARGE_NAME));
	/* every reader of the trace takes the same records as bad */
	if (!plausible(&rec, t))
		ev->status = ES_SLOT_BAD;
}

static inline void decode(struct es_trace *t, uint64_t slot,
			  struct es_event *ev, bool name)
{
	decode_bytes(t, es_slot_ptr(t, slot), slot, ev, name);
}

void es_decode_slot(struct es_trace *t, uint64_t slot, struct es_event *ev)
{
	decode(t, slot, ev, true);
}

/*
 * es_decode_slot() for a look back at one slot (< t->nslots), such as the
 * start of a run: the window of a raw file stays where it is, and a slot
 * outside it is read alone.
 */
void es_decode_at(struct es_trace *t, uint64_t slot, struct es_event *ev)
{
	unsigned char buf[sizeof(struct est_record)];

	if (t->recs || slot - t->win_first < t->win_nr) {
		decode(t, slot, ev, true);
		return;
	}
	read_at(t, buf, sizeof(buf),
		t->hdr.header_size + slot * t->hdr.record_size);
	decode_bytes(t, buf, slot, ev, true);
}

void es_decode_lean(struct es_trace *t, uint64_t slot, struct es_event *ev)
{
	decode(t, slot, ev, false);
}

/* What es_count() knows without reading a slot: the header's fields. */
void es_count_start(struct es_trace *t, struct es_status *c)
{
	memset(c, 0, sizeof(*c));
	c->magic = t->hdr.magic;
	c->version = t->hdr.version;
	c->header_size = t->hdr.header_size;
	c->record_size = t->hdr.record_size;
	c->flags = t->hdr.flags;
	c->capacity = t->hdr.capacity;
	c->phase = t->hdr.phase;
	c->head = (uint64_t)t->hdr.head.counter;
	c->lost = (uint64_t)t->hdr.lost.counter;
	c->slots = t->nslots;
	c->source = t->source;
	c->buffer_addr = t->buffer_addr;
	c->phys_base = t->phys_base;
	c->last_phase = t->hdr.phase < EST_PHASE_MAX ? t->hdr.phase : 0;
	/* version 1 has zeroes there, whatever the bytes say */
	if (t->hdr.version >= 2) {
		c->allocator = t->hdr.allocator;
		c->kernel_version = t->hdr.kernel_version;
	}
}


void es_count_event(struct es_status *c, const struct es_event *ev)
{
	es_tally(c, ev->status, ev->type, ev->phase, ev->ts);
}

/* Counts of a pass over every slot become the trace's (es_count()). */
void es_count_finish(struct es_trace *t, const struct es_status *c)
{
	t->counts = *c;
	t->counted = true;
}

int es_count(struct es_trace *t)
{
	struct es_status c;
	uint64_t i;

	if (!es_loaded(t))
		return -1;
	if (t->counted)
		return 0;
	es_count_start(t, &c);
	/* what es_decode_slot() would say, without building events */
	for (i = 0; i < t->nslots; i++) {
		struct est_record rec;
		uint32_t st;

		memcpy(&rec, es_slot_ptr(t, i), sizeof(rec));
		st = (uint32_t)est_slot_status(&rec, i);
		if (st == ES_SLOT_OK && !plausible(&rec, t))
			st = ES_SLOT_BAD;
		es_tally(&c, st, rec.type, rec.phase, rec.ts);
	}
	if (es_io_check(t))
		return -1;
	es_count_finish(t, &c);
	return 0;
}

int es_get_status(struct es_trace *t, struct es_status *st)
{
	if (es_count(t))
		return -1;
	*st = t->counts;
	return 0;
}

/*
 * Whether every event that happened is in the buffer: nothing lost, no
 * slot torn, pending or bad.
 */
bool es_trace_complete(struct es_trace *t)
{
	const struct es_status *c = &t->counts;

	if (es_count(t))
		return false;
	return !c->lost && c->head <= c->capacity && !c->torn &&
	       !c->pending && !c->bad;
}

bool es_event_match(const struct es_event *ev, const struct es_filter *f)
{
	uint64_t pages, last;

	if (!f)
		return true;
	if (ev->status != ES_SLOT_OK)
		return f->all_slots && !f->types && !f->phases &&
		       !f->has_pfn && !(f->cache && *f->cache);
	if (f->types && (ev->type >= 32 || !(f->types & (1U << ev->type))))
		return false;
	if (f->phases &&
	    (ev->phase >= 32 || !(f->phases & (1U << ev->phase))))
		return false;
	if (f->has_pfn) {
		pages = es_event_pages(ev);
		if (!pages)
			return false;
		last = ev->pfn + pages - 1;
		if (last < ev->pfn)
			last = UINT64_MAX;
		if (last < f->pfn_lo || ev->pfn > f->pfn_hi)
			return false;
	}
	if (f->cache && *f->cache) {
		if (!ev->cache && !ev->name[0])
			return false;
		if (!es_cache_match(f->cache, ev->cache, ev->name))
			return false;
	}
	return true;
}

int es_foreach_event(struct es_trace *t, const struct es_filter *f,
		     es_event_fn fn, void *arg)
{
	struct es_event ev;
	uint64_t i;
	int ret;

	if (!es_loaded(t))
		return -1;
	for (i = 0; i < t->nslots; i++) {
		es_decode_slot(t, i, &ev);
		if (!es_event_match(&ev, f))
			continue;
		ret = fn(&ev, arg);
		if (ret)
			return ret;
	}
	return es_io_check(t);
}

struct es_iter {
	struct es_trace *t;
	struct es_filter f;
	char *cache;
	uint64_t slot;
};

struct es_iter *es_iter_new(struct es_trace *t, const struct es_filter *f)
{
	struct es_iter *it;

	if (!es_loaded(t))
		return NULL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->t = t;
	if (f) {
		it->f = *f;
		if (f->cache) {
			it->cache = strdup(f->cache);
			if (!it->cache) {
				free(it);
				return NULL;
			}
			it->f.cache = it->cache;
		}
	}
	return it;
}

int es_iter_next(struct es_iter *it, struct es_event *ev)
{
	if (!it)
		return 0;
	while (it->slot < it->t->nslots) {
		es_decode_slot(it->t, it->slot++, ev);
		if (es_event_match(ev, &it->f))
			return 1;
	}
	return 0;
}

void es_iter_free(struct es_iter *it)
{
	if (!it)
		return;
	free(it->cache);
	free(it);
}
