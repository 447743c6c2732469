// SPDX-License-Identifier: GPL-2.0-only
/*
 * libearlyslab: names of the format's enums, errors and small helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_internal.h"

static const char *const type_names[] = {
	[EST_EV_GETPAGES] = "getpages",
	[EST_EV_FREEPAGES] = "freepages",
	[EST_EV_SKIP] = "skip",
	[EST_EV_PHASE] = "phase",
	[EST_EV_SLAB_STATE] = "slab_state",
	[EST_EV_LARGE] = "large",
	[EST_EV_NOPAGES] = "nopages",
	[EST_EV_MARK] = "mark",
	[EST_EV_LARGE_FREE] = "large_free",
};
static_assert(sizeof(type_names) / sizeof(type_names[0]) == EST_EV_MAX,
	      "a name for every event type");

static const char *const phase_names[] = {
	[EST_PHASE_BOOT] = "boot",
	[EST_PHASE_EARLY] = "early",
	[EST_PHASE_FREE_ALL] = "free_all",
	[EST_PHASE_WINDOW] = "window",
	[EST_PHASE_UP] = "up",
	[EST_PHASE_FULL] = "full",
};

static const char *const path_names[] = {
	[EST_PATH_NONE] = "none",
	[EST_PATH_MEMBLOCK] = "memblock",
	[EST_PATH_BUDDY] = "buddy",
	[EST_PATH_WINDOW] = "window",
	[EST_PATH_LATE] = "late",
	[EST_PATH_REFUSED] = "refused",
};

static const char *const mark_names[] = {
	[EST_MARK_PERCPU] = "percpu",
	[EST_MARK_TRACE_INIT] = "trace_init",
	[EST_MARK_DEFERRED_DONE] = "deferred_done",
	[EST_MARK_MEMBLOCK_DISCARD] = "memblock_discard",
	[EST_MARK_ACPI_PROBE] = "acpi_probe",
	[EST_MARK_ACPI_PROBE_END] = "acpi_probe_end",
};
static_assert(sizeof(mark_names) / sizeof(mark_names[0]) == EST_MARK_MAX,
	      "a name for every mark");

static const char *const allocator_names[] = {
	[EST_ALLOC_UNKNOWN] = "unknown",
	[EST_ALLOC_SLAB] = "SLAB",
	[EST_ALLOC_SLUB] = "SLUB",
};
static_assert(sizeof(allocator_names) / sizeof(allocator_names[0]) ==
	      EST_ALLOC_MAX, "a name for every allocator");

static const char *const slot_names[] = {
	[ES_SLOT_OK] = "ok",
	[ES_SLOT_TORN] = "torn",
	[ES_SLOT_PENDING] = "pending",
	[ES_SLOT_BAD] = "bad",
};

static const char *const kind_names[] = {
	[ES_K_WINDOW_FREE] = "window_free",
	[ES_K_DOUBLE_FREE] = "double_free",
	[ES_K_FREE_UNALLOCATED] = "free_unallocated",
	[ES_K_OVERLAP] = "overlap",
	[ES_K_ORDER_MISMATCH] = "order_mismatch",
	[ES_K_CACHE_MISMATCH] = "cache_mismatch",
	[ES_K_MISSED_SKIP] = "missed_skip",
	[ES_K_SPURIOUS_SKIP] = "spurious_skip",
	[ES_K_BAD_RECORD] = "bad_record",
	[ES_K_NODE_MISMATCH] = "node_mismatch",
	[ES_K_LOST_EVENTS] = "lost_events",
	[ES_K_TORN_RECORD] = "torn_record",
	[ES_K_PENDING_RECORD] = "pending_record",
};

#define NAME_OF(tab, i) \
	((i) < sizeof(tab) / sizeof(tab[0]) && tab[i] ? tab[i] : "unknown")

const char *es_type_name(uint32_t type)
{
	return NAME_OF(type_names, type);
}

const char *es_phase_name(uint32_t phase)
{
	return NAME_OF(phase_names, phase);
}

const char *es_path_name(uint32_t path)
{
	return NAME_OF(path_names, path);
}

const char *es_mark_name(uint32_t mark)
{
	return NAME_OF(mark_names, mark);
}

const char *es_allocator_name(uint32_t alloc)
{
	return NAME_OF(allocator_names, alloc);
}

const char *es_slab_mark_name(uint32_t mark)
{
	switch (mark) {
	case ES_SLAB_MARK_PG_SLAB:
		return "PG_slab";
	case ES_SLAB_MARK_PAGE_TYPE:
		return "page_type";
	}
	return "unknown";
}

uint32_t es_mark_max(uint32_t version)
{
	return est_mark_max(version);
}

uint32_t es_type_max(uint32_t version)
{
	return est_type_max(version);
}

int es_type_frees(uint32_t type)
{
	return type == EST_EV_FREEPAGES || type == EST_EV_LARGE_FREE;
}

const char *es_kernel_version_name(uint32_t code, char *buf, size_t len)
{
	if (!buf || !len)
		return "";
	if (!code)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%u.%u.%u", code >> 16, (code >> 8) & 0xff,
			 code & 0xff);
	return buf;
}

const char *es_slot_name(uint32_t status)
{
	return NAME_OF(slot_names, status);
}

const char *es_kind_name(uint32_t kind)
{
	return NAME_OF(kind_names, kind);
}

const char *es_severity_name(uint32_t sev)
{
	return sev == ES_SEV_ERROR ? "error" : "warning";
}

uint32_t es_kind_severity(uint32_t kind)
{
	return kind < ES_K_NODE_MISMATCH ? ES_SEV_ERROR : ES_SEV_WARNING;
}

static int lookup(const char *const *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i] && !strcmp(tab[i], name))
			return (int)i;
	return -1;
}

int es_type_from_name(const char *name)
{
	return lookup(type_names, sizeof(type_names) / sizeof(type_names[0]),
		      name);
}

int es_phase_from_name(const char *name)
{
	return lookup(phase_names,
		      sizeof(phase_names) / sizeof(phase_names[0]), name);
}

int es_api_version(void)
{
	return ES_API_VERSION;
}

static const char *const errcode_names[] = {
	[ES_ERR_NONE] = "none",
	[ES_ERR_USAGE] = "usage",
	[ES_ERR_INPUT] = "input",
	[ES_ERR_IO] = "io",
	[ES_ERR_NOMEM] = "nomem",
	[ES_ERR_NOT_FOUND] = "not_found",
	[ES_ERR_MISMATCH] = "mismatch",
	[ES_ERR_NEEDS] = "needs",
};

const char *es_errcode_name(int code)
{
	return code >= 0 && (size_t)code < sizeof(errcode_names) /
					   sizeof(errcode_names[0]) ?
		       errcode_names[code] : "unknown";
}

void es_set_error_code(struct es_trace *t, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	t->errcode = code;
}

/*
 * es_set_error() - an error whose code the caller did not say: a system
 * error if the message carries strerror(errno), out of memory if it says
 * so, else a bad input. es_set_error_code() says it.
 */
void es_set_error(struct es_trace *t, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	if (strstr(t->err, "out of memory"))
		t->errcode = ES_ERR_NOMEM;
	else if (e && strstr(t->err, strerror(e)))
		t->errcode = ES_ERR_IO;
	else
		t->errcode = ES_ERR_INPUT;
	errno = e;
}

const char *es_error(const struct es_trace *t)
{
	if (!t)
		return "out of memory";
	return t->err[0] ? t->err : "no error";
}

int es_error_code(const struct es_trace *t)
{
	if (!t)
		return ES_ERR_NOMEM;
	return t->err[0] ? t->errcode : ES_ERR_NONE;
}

void es_free(void *p)
{
	free(p);
}

/*
 * es_sanitize() - copy a cache name from the buffer: it is untrusted, so
 * stop at NUL or @n bytes and replace anything but printable ASCII.
 */
void es_sanitize(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
}

/*
 * es_cache_match() - does a cache match a user's pattern? "0x..." compares
 * the struct kmem_cache address, anything else is an fnmatch() glob on the
 * (possibly truncated) name; a long plain name also matches its first 15
 * characters, since that is all the record keeps.
 */
bool es_cache_match(const char *pattern, uint64_t cache, const char *name)
{
	uint64_t addr;

	if (!pattern || !*pattern)
		return true;
	if (pattern[0] == '0' && (pattern[1] == 'x' || pattern[1] == 'X') &&
	    !es_parse_u64(pattern, &addr))
		return addr == cache;
	if (!fnmatch(pattern, name, 0))
		return true;
	return strlen(pattern) >= ES_NAME_LEN - 1 &&
	       !strncmp(pattern, name, ES_NAME_LEN - 1) &&
	       strlen(name) == ES_NAME_LEN - 1;
}

/* es_parse_u64() - decimal or 0x-hexadecimal, the whole string. */
int es_parse_u64(const char *s, uint64_t *v)
{
	const char *digits = s;
	unsigned long long x;
	char *end;
	int base = 10;

	if (!s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	if (base == 16 ? !isxdigit((unsigned char)*digits) :
			 !isdigit((unsigned char)*digits))
		return -1;
	errno = 0;
	x = strtoull(digits, &end, base);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}
