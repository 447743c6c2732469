// SPDX-License-Identifier: GPL-2.0-only
/*
 * The library's own interface as a C or ctypes caller uses it: the
 * statistics engine and the error codes of es_command().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "earlyslab.h"
#include "synth.h"

static struct es_trace *clean_trace(void)
{
	struct synth *s = synth_new(32);
	struct es_trace *t = es_trace_new();

	assert_non_null(s);
	assert_non_null(t);
	synth_clean_boot(s);
	assert_int_equal(es_load_memory(t, s->mem, s->len, "clean"), 0);
	synth_free(s);
	return t;
}

static void test_stats(void **state)
{
	struct es_trace *t = clean_trace();
	struct es_stats *s = es_stats_new();
	const struct es_cache_stat *cs;
	struct es_count c;
	char key[32];

	(void)state;
	assert_non_null(s);
	assert_int_equal(es_stats_run(s, t), 0);
	assert_int_equal(es_stats_total(s, ES_SS_GETPAGES, &c), 0);
	assert_int_equal(c.count, 4);		/* synth_clean_boot() */
	assert_int_equal(c.pages, 1 + 2 + 1 + 1);
	es_stats_total(s, ES_SS_FREEPAGES, &c);
	assert_int_equal(c.count, 2);
	es_stats_total(s, ES_SS_SKIP, &c);
	assert_int_equal(c.count, 2);
	es_stats_total(s, ES_SS_LIVE, &c);
	assert_int_equal(c.count, 2);		/* 0x1fff0 and 0x5000 */
	es_stats_total(s, ES_SS_LARGE, &c);
	assert_int_equal(c.pages, 16384);
	assert_int_equal(es_stats_total(s, ES_SS_MAX, &c), -1);

	assert_int_equal(es_stats_rows(ES_ST_GET_BY_PATH), 7);
	assert_int_equal(es_stats_row(s, ES_ST_GET_BY_PATH, 1, &c), 0);
	assert_string_equal(es_stats_key(ES_ST_GET_BY_PATH, 1, key,
					 sizeof(key)), "memblock");
	assert_int_equal(c.count, 3);
	assert_int_equal(es_stats_row(s, ES_ST_GET_BY_PATH, 7, &c), -1);
	assert_int_equal(es_stats_rows(ES_ST_MAX), 0);
	assert_string_equal(es_stats_key(ES_ST_GET_BY_NODE, 0, key,
					 sizeof(key)), "none");
	assert_string_equal(es_stats_key(ES_ST_GET_BY_NODE, 1, key,
					 sizeof(key)), "0");

	/* caches, most pages allocated first */
	assert_int_equal(es_stats_nr_caches(s), 2);
	cs = es_stats_cache(s, 0);
	assert_non_null(cs);
	assert_string_equal(cs->name, "kmalloc-64");
	assert_int_equal(cs->getpages, 3);
	assert_int_equal(cs->pages_in, 4);
	assert_int_equal(cs->live_pages, 1);
	assert_null(es_stats_cache(s, 2));

	/* a second run starts again */
	assert_int_equal(es_stats_run(s, t), 0);
	es_stats_total(s, ES_SS_GETPAGES, &c);
	assert_int_equal(c.count, 4);
	es_stats_free(s);
	es_trace_free(t);
}

static void test_stats_unloaded(void **state)
{
	struct es_trace *t = es_trace_new();
	struct es_stats *s = es_stats_new();

	(void)state;
	assert_int_equal(es_stats_run(s, t), -1);
	assert_int_equal(es_stats_nr_caches(s), 0);
	es_stats_free(s);
	es_trace_free(t);
}

static int command(struct es_trace *t, unsigned int flags, ...)
{
	char *argv[16], *out, *err;
	va_list ap;
	int n = 0, rc;

	va_start(ap, flags);
	while (n < 15 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	rc = es_command_str(t, n, argv, flags, &out, &err);
	es_free(out);
	es_free(err);
	return rc;
}

static void test_command_codes(void **state)
{
	struct es_trace *t = clean_trace();

	(void)state;
	assert_int_equal(es_error_code(t), ES_ERR_NONE);
	assert_int_equal(command(t, 0, "dump", "--pfn", "zz", NULL), 2);
	assert_int_equal(es_error_code(t), ES_ERR_USAGE);
	assert_non_null(strstr(es_error(t), "dump: bad pfn range 'zz'"));
	assert_int_equal(command(t, ES_OUT_JSON, "nosuchcommand", NULL), 2);
	assert_int_equal(es_error_code(t), ES_ERR_USAGE);
	assert_int_equal(command(t, 0, "owners", "--verify", NULL), 2);
	assert_int_equal(es_error_code(t), ES_ERR_NEEDS);
	assert_int_equal(command(t, 0, "status", NULL), 0);
	es_trace_free(t);

	t = es_trace_new();
	assert_int_equal(es_load_raw(t, "/nonexistent/trace.bin"), -1);
	assert_int_equal(es_error_code(t), ES_ERR_IO);
	assert_int_equal(es_load_memory(t, "short", 5, "short"), -1);
	assert_int_equal(es_error_code(t), ES_ERR_INPUT);
	assert_int_equal(command(t, ES_OUT_JSON, "status", NULL), 2);
	assert_int_equal(es_error_code(t), ES_ERR_INPUT);
	es_trace_free(t);

	assert_string_equal(es_errcode_name(ES_ERR_NEEDS), "needs");
	assert_string_equal(es_errcode_name(ES_ERR_MAX), "unknown");
	assert_string_equal(es_errcode_name(-1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_unloaded),
		cmocka_unit_test(test_command_codes),
	};

	return cmocka_run_group_tests_name("library interface", tests, NULL,
					   NULL);
}
