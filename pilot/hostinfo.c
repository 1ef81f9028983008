#include "pilot/hostinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util.h"

/* The kernel refreshes the load average every 5 s and disk and memory use
 * move slowly: reading them at every 1 s check would cost the pilot more
 * (three syscall round trips and /proc's text rendering) than it tells. */
#define HOSTINFO_REFRESH_MS 5000

/* A "Key:   12345 kB" line's number; -1 if key is not there. */
static int
meminfo_field(const char *buf, size_t len, const char *key, uint64_t *out)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *line = buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		if (ll > klen && memcmp(line, key, klen) == 0 &&
		    line[klen] == ':') {
			uint64_t v = 0;
			size_t j = klen + 1;
			bool digits = false;

			while (j < ll && (line[j] == ' ' || line[j] == '\t'))
				j++;
			while (j < ll && line[j] >= '0' && line[j] <= '9') {
				if (v > UINT64_MAX / 10 - 10)
					return -1;
				v = v * 10 + (uint64_t)(line[j] - '0');
				digits = true;
				j++;
			}
			if (!digits)
				return -1;
			*out = v;
			return 0;
		}
		i += ll + 1;
	}
	return -1;
}

int
hostinfo_parse_meminfo(const char *buf, size_t len, uint32_t *used_pct)
{
	uint64_t total, avail;

	if (meminfo_field(buf, len, "MemTotal", &total) != 0 ||
	    meminfo_field(buf, len, "MemAvailable", &avail) != 0 ||
	    total == 0 || avail > total)
		return -EINVAL;
	*used_pct = (uint32_t)((total - avail) * 100 / total);
	return 0;
}

int
hostinfo_parse_loadavg(const char *buf, size_t len, uint32_t *load_x100)
{
	uint64_t whole = 0, frac = 0;
	size_t i = 0, nd = 0, nf = 0;

	while (i < len && buf[i] >= '0' && buf[i] <= '9' && nd < 9) {
		whole = whole * 10 + (uint64_t)(buf[i++] - '0');
		nd++;
	}
	if (nd == 0 || (i < len && buf[i] >= '0' && buf[i] <= '9'))
		return -EINVAL;
	if (i < len && buf[i] == '.') {
		i++;
		while (i < len && buf[i] >= '0' && buf[i] <= '9') {
			if (nf < 2) {
				frac = frac * 10 + (uint64_t)(buf[i] - '0');
				nf++;
			}
			i++;
		}
		if (nf == 1)
			frac *= 10;
	}
	if (i < len && buf[i] != ' ' && buf[i] != '\n')
		return -EINVAL;
	*load_x100 = (uint32_t)(whole * 100 + frac);
	return 0;
}

int
hostinfo_disk_used_pct(const char *path, uint32_t *used_pct)
{
	struct statvfs sv;
	uint64_t used, usable;

	if (statvfs(path, &sv) != 0)
		return -errno;
	if (sv.f_blocks == 0)
		return -EINVAL;
	used = (uint64_t)sv.f_blocks - (uint64_t)sv.f_bfree;
	usable = used + (uint64_t)sv.f_bavail;
	if (usable == 0)
		return -EINVAL;
	/* df rounds up: a disk 99.1 % full is not "99 %" to an alert */
	*used_pct = (uint32_t)((used * 100 + usable - 1) / usable);
	return 0;
}

static ssize_t
read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
hostinfo_read_now(const char *disk_path, struct hostinfo *h)
{
	char buf[4096];
	ssize_t n;

	memset(h, 0, sizeof(*h));
	if (disk_path && disk_path[0] &&
	    hostinfo_disk_used_pct(disk_path, &h->disk_used_pct) == 0)
		h->disk_known = true;
	if ((n = read_small("/proc/meminfo", buf, sizeof(buf))) > 0 &&
	    hostinfo_parse_meminfo(buf, (size_t)n, &h->mem_used_pct) == 0)
		h->mem_known = true;
	if ((n = read_small("/proc/loadavg", buf, sizeof(buf))) > 0 &&
	    hostinfo_parse_loadavg(buf, (size_t)n, &h->load1_x100) == 0)
		h->load_known = true;
}

void
hostinfo_read(const char *disk_path, struct hostinfo *h)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct hostinfo last;
	static char last_path[256];
	static uint64_t last_ms;
	static bool have;
	const char *path = disk_path ? disk_path : "";
	uint64_t now = clock_mono_ms();

	pthread_mutex_lock(&mu);
	if (!have || now - last_ms >= HOSTINFO_REFRESH_MS ||
	    strncmp(path, last_path, sizeof(last_path)) != 0) {
		hostinfo_read_now(disk_path, &last);
		util_strlcpy(last_path, path, sizeof(last_path));
		last_ms = now;
		have = true;
	}
	*h = last;
	pthread_mutex_unlock(&mu);
}
