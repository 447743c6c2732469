// SPDX-License-Identifier: GPL-2.0-only
/*
 * Early slab trace: the reader side of the contract in early_slab_trace.h,
 * for user space (the analyzers of QEMU dumps, the gdb helpers, the tests).
 */
#include "est_reader.h"

/* More slots than this is not a plausible static buffer: treat as garbage. */
#define EST_MAX_CAPACITY	0x1000000U	/* 2^24 */

/**
 * est_check_header() - validate the header of a trace buffer
 * @hdr: the start of the buffer
 * @avail_bytes: how many bytes of the buffer, from @hdr on, are readable
 *
 * No field is read before @avail_bytes says the whole header is there.
 *
 * Return: EST_HDR_OK, or the first problem found, in the order SHORT,
 * MAGIC, VERSION, SIZES, TRUNCATED.
 */
enum est_hdr_error est_check_header(const struct est_header *hdr,
				    __u64 avail_bytes)
{
	__u64 need;

	if (!hdr || avail_bytes < sizeof(*hdr))
		return EST_HDR_SHORT;
	if (hdr->magic != EST_MAGIC)
		return EST_HDR_MAGIC;
	if (hdr->version < EST_VERSION_MIN || hdr->version > EST_VERSION)
		return EST_HDR_VERSION;
	if (hdr->header_size < sizeof(struct est_header) ||
	    hdr->record_size < sizeof(struct est_record) ||
	    hdr->capacity == 0 || hdr->capacity > EST_MAX_CAPACITY)
		return EST_HDR_SIZES;

	/* At most 2^16 + 2^24 * 2^16 bytes: no overflow. */
	need = (__u64)hdr->header_size +
	       (__u64)hdr->capacity * hdr->record_size;
	if (avail_bytes < need)
		return EST_HDR_TRUNCATED;
	return EST_HDR_OK;
}

/**
 * est_hdr_error_str() - describe an est_check_header() result
 * @err: the result
 *
 * Return: a static, human-readable string (never NULL).
 */
const char *est_hdr_error_str(enum est_hdr_error err)
{
	switch (err) {
	case EST_HDR_OK:
		return "ok";
	case EST_HDR_SHORT:
		return "buffer shorter than the trace header";
	case EST_HDR_MAGIC:
		return "bad magic: not an early slab trace";
	case EST_HDR_VERSION:
		return "unsupported trace format version";
	case EST_HDR_SIZES:
		return "implausible header size, record size or capacity";
	case EST_HDR_TRUNCATED:
		return "buffer shorter than the records the header announces";
	}
	return "unknown header error";
}

/**
 * est_nr_slots() - how many slots a reader should look at
 * @hdr: a header that passed est_check_header()
 *
 * Return: min(@hdr->head, @hdr->capacity).
 */
__u64 est_nr_slots(const struct est_header *hdr)
{
	__u64 head = (__u64)atomic64_read(&hdr->head);

	return head < hdr->capacity ? head : hdr->capacity;
}

/**
 * est_slot_status() - classify one record slot
 * @rec: the record in slot @slot
 * @slot: its index in the ring
 *
 * The state is read with acquire semantics, so on a live buffer a record
 * found EST_SLOT_OK may be decoded right after this returns.
 *
 * Return: EST_SLOT_OK if committed with @seq == @slot, EST_SLOT_TORN if a
 * writer began but did not finish, EST_SLOT_PENDING if not begun,
 * EST_SLOT_BAD otherwise (committed with the wrong @seq, or an unknown
 * @state).
 */
enum est_slot_status est_slot_status(const struct est_record *rec,
				     __u64 slot)
{
	/* Pairs with the release store in est_commit(). */
	__u32 state = smp_load_acquire(&rec->state);

	switch (state) {
	case EST_STATE_COMMITTED:
		return READ_ONCE(rec->seq) == slot ? EST_SLOT_OK : EST_SLOT_BAD;
	case EST_STATE_WRITING:
		return EST_SLOT_TORN;
	case EST_STATE_EMPTY:
		return EST_SLOT_PENDING;
	}
	return EST_SLOT_BAD;
}

/**
 * est_type_max() - the last &enum est_event a format version defines
 * @version: est_header.version of a trace
 *
 * A record of that trace whose @type is 0 or above this is bad.
 *
 * Return: EST_EV_MAX_V2 for versions 1 and 2, EST_EV_MAX - 1 for the
 * current one, 0 for a version readers do not take.
 */
__u32 est_type_max(__u32 version)
{
	if (version < EST_VERSION_MIN || version > EST_VERSION)
		return 0;
	return version <= 2 ? EST_EV_MAX_V2 : EST_EV_MAX - 1;
}

/**
 * est_mark_max() - the last &enum est_mark a format version defines
 * @version: est_header.version of a trace
 *
 * An EST_EV_MARK of that trace whose @arg is 0 or above this is bad.
 *
 * Return: EST_MARK_MAX_V1, EST_MARK_MAX_V2 or EST_MARK_MAX - 1 by version,
 * 0 for a version readers do not take.
 */
__u32 est_mark_max(__u32 version)
{
	if (version < EST_VERSION_MIN || version > EST_VERSION)
		return 0;
	if (version == 1)
		return EST_MARK_MAX_V1;
	return version == 2 ? EST_MARK_MAX_V2 : EST_MARK_MAX - 1;
}
