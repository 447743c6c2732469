// SPDX-License-Identifier: GPL-2.0-only
/*
 * Early slab trace: the lock-free writer of the static record ring.
 *
 * The format and the writer/reader contract are described in the header.
 * This file is built both into the kernel (under mm/) and in user space,
 * where est_user.h stands in for the kernel interfaces it uses.
 *
 * Everything here may run before the rest of the kernel is set up and from
 * any context, NMI included: no locks, no allocation, no tracing.
 */
#ifdef __KERNEL__
#include <linux/early_slab_trace.h>
#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/string.h>
#else
#include <string.h>
#include "early_slab_trace.h"
#endif

/*
 * est_emit() copies everything after @state in one go, so @seq and @state
 * must be the only fields in front of the payload.
 */
#define EST_PAYLOAD_OFF		offsetof(struct est_record, type)
static_assert(EST_PAYLOAD_OFF ==
	      offsetof(struct est_record, state) + sizeof(__u32),
	      "est_record: seq and state must lead the record");

/**
 * est_reserve() - claim the next slot of the ring
 * @hdr: the ring's header
 * @ring: the first of @hdr->capacity records
 *
 * Takes the next sequence number. When it is below the capacity, the
 * matching slot is marked as being written and returned: the caller fills
 * it and then publishes it with est_commit(). When the ring is full the
 * event is counted in @hdr->lost and nothing is written.
 *
 * Return: the reserved record, or NULL if the ring is full.
 */
notrace struct est_record *est_reserve(struct est_header *hdr,
				       struct est_record *ring)
{
	__u64 seq = atomic64_fetch_inc(&hdr->head);
	struct est_record *rec;

	if (seq >= hdr->capacity) {
		atomic64_inc(&hdr->lost);
		return NULL;
	}

	rec = &ring[seq];
	WRITE_ONCE(rec->seq, seq);
	WRITE_ONCE(rec->state, EST_STATE_WRITING);
	/* Order the WRITING mark before the stores that fill the record. */
	smp_wmb();
	return rec;
}

/**
 * est_commit() - publish a record filled after est_reserve()
 * @rec: the record est_reserve() returned
 *
 * The release store orders every store to the record before the
 * EST_STATE_COMMITTED mark, so a reader that sees the mark (with an acquire
 * load, or on a halted machine) sees the whole record.
 */
notrace void est_commit(struct est_record *rec)
{
	/* Pairs with the acquire load of @state by a live reader. */
	smp_store_release(&rec->state, EST_STATE_COMMITTED);
}

/**
 * est_emit() - record one event
 * @hdr: the ring's header
 * @ring: the first of @hdr->capacity records
 * @ev: the event; its @seq and @state are ignored
 *
 * Reserves a slot, copies every field of @ev except @seq and @state into it
 * (the name is always stored NUL-terminated) and commits it.
 *
 * Return: true if the event was recorded, false if the ring was full and
 * the event was counted as lost.
 */
notrace bool est_emit(struct est_header *hdr, struct est_record *ring,
		      const struct est_record *ev)
{
	struct est_record *rec = est_reserve(hdr, ring);

	if (!rec)
		return false;

	memcpy((char *)rec + EST_PAYLOAD_OFF, (const char *)ev + EST_PAYLOAD_OFF,
	       sizeof(*rec) - EST_PAYLOAD_OFF);
	rec->name[EST_NAME_LEN - 1] = '\0';
	est_commit(rec);
	return true;
}
