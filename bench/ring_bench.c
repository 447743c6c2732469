// SPDX-License-Identifier: GPL-2.0-only
/*
 * Throughput of est_emit(), the lock-free early slab trace writer, with one
 * and two writer threads, against two references measured in the same run:
 *
 *   plain store   an 80-byte record copied into the next slot of a private
 *                 array: no atomics, no sharing; the floor.
 *   mutex ring    the same ring (reserve, copy, commit, count losses) with
 *                 a pthread mutex around each event instead of atomics.
 *
 * All writers go through an out-of-line function, like the kernel hook
 * calling est_emit(). The rings are large enough never to fill, and are
 * touched before timing, so page faults are not measured. A last row
 * measures est_emit() on a full ring, the drop path the kernel takes once
 * the ring has filled.
 *
 * Results are the median of several runs. Nothing here is asserted.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "early_slab_trace.h"

#define noinline		__attribute__((noinline))

#define EVENTS_PER_THREAD	1048576UL
#define MAX_THREADS		2
#define RUNS			11
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

enum variant {
	V_PLAIN,
	V_MUTEX,
	V_EST,
	V_EST_FULL,
	V_MAX
};

static const char * const variant_name[V_MAX] = {
	[V_PLAIN] = "plain store",
	[V_MUTEX] = "mutex ring",
	[V_EST] = "est_emit",
	[V_EST_FULL] = "est_emit, full ring",
};

/* The same header and records, written under a lock instead. */
struct mutex_ring {
	pthread_mutex_t lock;
	struct est_header *hdr;
	struct est_record *ring;
	__u64 head;
	__u64 lost;
};

struct bench {
	enum variant v;
	unsigned int nthreads;
	unsigned int ready;
	struct est_header *hdr;		/* est_emit */
	struct est_record *ring;
	struct mutex_ring mr;		/* mutex ring */
	struct est_record *plain;	/* plain store: per-thread slices */
};

struct worker {
	pthread_t tid;
	struct bench *b;
	unsigned int id;
	struct timespec start;
	struct timespec end;
};

static noinline void plain_store(struct est_record *slot, const struct est_record *ev)
{
	memcpy(slot, ev, sizeof(*slot));
}

static noinline bool mutex_emit(struct mutex_ring *mr, const struct est_record *ev)
{
	struct est_record *rec;
	__u64 seq;

	pthread_mutex_lock(&mr->lock);
	seq = mr->head++;
	if (seq >= mr->hdr->capacity) {
		mr->lost++;
		pthread_mutex_unlock(&mr->lock);
		return false;
	}
	rec = &mr->ring[seq];
	memcpy(rec, ev, sizeof(*rec));
	rec->seq = seq;
	rec->name[EST_NAME_LEN - 1] = '\0';
	rec->state = EST_STATE_COMMITTED;
	pthread_mutex_unlock(&mr->lock);
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	struct est_record *mine = b->plain + w->id * EVENTS_PER_THREAD;
	struct est_record ev;
	unsigned long i;

	memset(&ev, 0, sizeof(ev));
	ev.type = EST_EV_GETPAGES;
	ev.phase = EST_PHASE_EARLY;
	ev.path = EST_PATH_MEMBLOCK;
	ev.nid_req = EST_NO_NODE;
	ev.cpu = (__u16)w->id;
	strcpy(ev.name, "kmalloc-64");

	/* Spin, so that all writers are running when timing starts. */
	__atomic_fetch_add(&b->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&b->ready, __ATOMIC_ACQUIRE) < b->nthreads)
		sched_yield();

	clock_gettime(CLOCK_MONOTONIC, &w->start);
	switch (b->v) {
	case V_PLAIN:
		for (i = 0; i < EVENTS_PER_THREAD; i++) {
			ev.pfn = i;
			ev.arg = i;
			plain_store(&mine[i], &ev);
		}
		break;
	case V_MUTEX:
		for (i = 0; i < EVENTS_PER_THREAD; i++) {
			ev.pfn = i;
			ev.arg = i;
			mutex_emit(&b->mr, &ev);
		}
		break;
	case V_EST:
	case V_EST_FULL:
		for (i = 0; i < EVENTS_PER_THREAD; i++) {
			ev.pfn = i;
			ev.arg = i;
			est_emit(b->hdr, b->ring, &ev);
		}
		break;
	default:
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &w->end);
	return NULL;
}

static double ts_ns(const struct timespec *t)
{
	return (double)t->tv_sec * 1e9 + (double)t->tv_nsec;
}

static void reset_header(struct est_header *hdr, __u32 cap)
{
	struct est_header init = EST_HEADER_INIT(cap, EST_ALLOC_SLUB, 0x060c00);

	*hdr = init;
}

/* One timed run; returns wall-clock ns from first start to last end. */
static double run_once(struct bench *b, enum variant v, unsigned int nthreads)
{
	struct worker w[MAX_THREADS];
	double first = 0, last = 0;
	unsigned int i;
	__u64 total = (__u64)nthreads * EVENTS_PER_THREAD;

	b->v = v;
	b->nthreads = nthreads;
	b->ready = 0;
	reset_header(b->hdr, v == V_EST_FULL ? 1 : MAX_THREADS *
		     EVENTS_PER_THREAD);
	if (v == V_EST_FULL)
		atomic64_set(&b->hdr->head, 1);
	b->mr.head = 0;
	b->mr.lost = 0;

	for (i = 0; i < nthreads; i++) {
		w[i].b = b;
		w[i].id = i;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			perror("pthread_create");
			exit(1);
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		if (!i || ts_ns(&w[i].start) < first)
			first = ts_ns(&w[i].start);
		if (!i || ts_ns(&w[i].end) > last)
			last = ts_ns(&w[i].end);
	}

	/* Sanity: every event went where it should have. */
	if ((v == V_EST &&
	     ((__u64)atomic64_read(&b->hdr->head) != total ||
	      atomic64_read(&b->hdr->lost) != 0)) ||
	    (v == V_EST_FULL &&
	     (__u64)atomic64_read(&b->hdr->lost) != total) ||
	    (v == V_MUTEX && (b->mr.head != total || b->mr.lost != 0))) {
		fprintf(stderr, "%s: event accounting is wrong\n",
			variant_name[v]);
		exit(1);
	}
	return last - first;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, unsigned int n)
{
	qsort(t, n, sizeof(t[0]), cmp_double);
	return t[n / 2];
}

static void *alloc_touched(size_t bytes)
{
	void *p = aligned_alloc(64, bytes);

	if (!p) {
		perror("aligned_alloc");
		exit(1);
	}
	memset(p, 0, bytes);
	return p;
}

int main(void)
{
	static const unsigned int threads[] = { 1, 2 };
	size_t ring_bytes = sizeof(struct est_header) +
			    MAX_THREADS * EVENTS_PER_THREAD *
			    sizeof(struct est_record);
	double ns[V_MAX][MAX_THREADS + 1];
	double runs[V_MAX][MAX_THREADS + 1][RUNS];
	struct bench b;
	unsigned int r, t, v;

	memset(&b, 0, sizeof(b));
	b.hdr = alloc_touched(ring_bytes);
	b.ring = (struct est_record *)(b.hdr + 1);
	b.plain = alloc_touched(MAX_THREADS * EVENTS_PER_THREAD *
				sizeof(struct est_record));
	pthread_mutex_init(&b.mr.lock, NULL);
	b.mr.hdr = alloc_touched(ring_bytes);
	b.mr.ring = (struct est_record *)(b.mr.hdr + 1);
	reset_header(b.mr.hdr, MAX_THREADS * EVENTS_PER_THREAD);

	/*
	 * Interleave the variants, so that a change of machine load in the
	 * middle of the run hits all of them alike.
	 */
	for (r = 0; r < RUNS; r++)
		for (t = 0; t < ARRAY_SIZE(threads); t++)
			for (v = 0; v < V_MAX; v++)
				runs[v][threads[t]][r] =
					run_once(&b, v, threads[t]);
	for (t = 0; t < ARRAY_SIZE(threads); t++)
		for (v = 0; v < V_MAX; v++)
			ns[v][threads[t]] = median(runs[v][threads[t]], RUNS);

	printf("ring_bench: %lu events/thread, 80-byte records, median of %d runs\n",
	       EVENTS_PER_THREAD, RUNS);
	printf("%-20s %7s %12s %10s %10s\n", "writer", "threads",
	       "ns/event", "Mevents/s", "vs plain");
	for (t = 0; t < ARRAY_SIZE(threads); t++) {
		unsigned int n = threads[t];
		double base = ns[V_PLAIN][n] / EVENTS_PER_THREAD;

		for (v = 0; v < V_MAX; v++) {
			double per = ns[v][n] / EVENTS_PER_THREAD;
			double mevs = (double)n * EVENTS_PER_THREAD /
				      ns[v][n] * 1e3;

			printf("%-20s %7u %12.2f %10.1f %9.2fx\n",
			       variant_name[v], n, per, mevs, per / base);
		}
	}
	printf("ns/event: wall time / events per thread (cost seen by each writer)\n");

	pthread_mutex_destroy(&b.mr.lock);
	free(b.mr.hdr);
	free(b.plain);
	free(b.hdr);
	return 0;
}
