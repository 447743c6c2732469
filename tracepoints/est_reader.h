/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Early slab trace: the reader side of the contract written in
 * early_slab_trace.h, for user space only (the analyzers of QEMU dumps and
 * /proc/kcore, the gdb commands, the tests). The kernel only writes.
 */
#ifndef _EST_READER_H
#define _EST_READER_H

#include "early_slab_trace.h"

enum est_hdr_error {
	EST_HDR_OK = 0,
	EST_HDR_SHORT,		/* fewer bytes than a header */
	EST_HDR_MAGIC,		/* wrong magic */
	EST_HDR_VERSION,	/* unknown version */
	EST_HDR_SIZES,		/* header_size or record_size too small */
	EST_HDR_TRUNCATED,	/* fewer bytes than capacity records */
};

enum est_slot_status {
	EST_SLOT_OK = 0,	/* committed, seq matches */
	EST_SLOT_TORN,		/* a writer was interrupted mid-record */
	EST_SLOT_PENDING,	/* reserved but not yet written */
	EST_SLOT_BAD,		/* committed with a wrong seq, or garbage */
};

enum est_hdr_error est_check_header(const struct est_header *hdr,
				    __u64 avail_bytes);
const char *est_hdr_error_str(enum est_hdr_error err);
__u64 est_nr_slots(const struct est_header *hdr);
enum est_slot_status est_slot_status(const struct est_record *rec,
				     __u64 slot);
__u32 est_type_max(__u32 version);
__u32 est_mark_max(__u32 version);

#endif /* _EST_READER_H */
