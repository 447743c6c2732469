/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User-space stand-ins for the few kernel interfaces that
 * early_slab_trace.h and early_slab_trace.c use, so that the very same
 * files build outside the kernel (the analyzers, the unit tests, the
 * benchmark).
 *
 * The semantics follow the kernel's memory model: READ_ONCE()/WRITE_ONCE()
 * are single, untorn, never elided accesses (relaxed atomics: what a
 * volatile access gives in practice, but defined by C11, so that
 * ThreadSanitizer checks the real ordering), atomic64_read(), _set() and
 * _inc() are unordered, the value-returning atomic64_fetch_inc() is fully
 * ordered, and the acquire/release helpers map to the C11 orders of the
 * same names. None of them is any stronger than the kernel's, so a test
 * that passes here does not lean on an ordering the kernel lacks.
 */
#ifndef _EST_USER_H
#define _EST_USER_H

#ifdef __KERNEL__
#error "est_user.h is for user space only"
#endif

#include <assert.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#ifndef notrace
#define notrace
#endif

typedef struct {
	long long counter;
} atomic64_t;

static_assert(sizeof(atomic64_t) == 8, "atomic64_t size");
static_assert(alignof(atomic64_t) == 8, "atomic64_t alignment");

#define ATOMIC64_INIT(i)	{ (i) }

/* As in the kernel, read, set and inc imply no ordering. */
static inline long long atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline void atomic64_set(atomic64_t *v, long long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline void atomic64_inc(atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);
}

/* A value-returning RMW is fully ordered. */

static inline long long atomic64_fetch_inc(atomic64_t *v)
{
	return __atomic_fetch_add(&v->counter, 1, __ATOMIC_SEQ_CST);
}

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

/* smp_wmb(): orders earlier stores before later stores */
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
/* smp_rmb(): orders earlier loads before later loads */
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)

/* smp_store_release(): earlier accesses are visible before the store */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* smp_load_acquire(): later accesses happen after the load */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)

#endif /* _EST_USER_H */
