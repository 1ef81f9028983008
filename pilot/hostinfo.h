/*
 * hostinfo.h: the host's health for the heartbeat: disk use of the node's
 * data dir, memory use and load.  The parsers are pure over the text of
 * /proc/meminfo and /proc/loadavg; hostinfo_read() does the reads.
 * Library code: returns errors, never logs.
 */
#ifndef SEXTANT_PILOT_HOSTINFO_H
#define SEXTANT_PILOT_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hostinfo {
	bool disk_known, mem_known, load_known;
	uint32_t disk_used_pct; /* of the file system holding the path */
	uint32_t mem_used_pct;  /* 100 - MemAvailable / MemTotal */
	uint32_t load1_x100;    /* 1-minute load average x 100 */
};

/* MemTotal and MemAvailable (kB) -> used percent.  0 or -EINVAL. */
int hostinfo_parse_meminfo(const char *buf, size_t len, uint32_t *used_pct);
/* "0.42 0.30 0.25 1/123 4567" -> 42.  0 or -EINVAL. */
int hostinfo_parse_loadavg(const char *buf, size_t len, uint32_t *load_x100);
/* Used percent of the file system holding path, as df counts it (blocks
 * reserved for root count as used).  0 or -errno. */
int hostinfo_disk_used_pct(const char *path, uint32_t *used_pct);

/* Fill h; what cannot be read stays unknown (zero). */
void hostinfo_read(const char *disk_path, struct hostinfo *h);

#endif
