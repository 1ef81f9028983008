#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	if (util_strcpy_checked(dir, path, sizeof(dir)) != 0)
		return -ENAMETOOLONG;
	if ((fd = mkstemp(tmp)) < 0)
		return -errno;
	if (fchmod(fd, mode) != 0)
		rc = -errno;
	else if ((rc = write_full(fd, buf, len)) == 0 && fsync(fd) != 0)
		rc = -errno;
	if (rc != 0) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	/* the rename is durable only once the directory entry is */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) < 0)
		return -errno;
	rc = fsync(dfd) != 0 ? -errno : 0;
	close(dfd);
	return rc;
}

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	/* read up to max+1 bytes: the file may grow after fstat */
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			rc = -EFBIG;
			goto err;
		}
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (len)
		*len = got;
	return 0;
err:
	close(fd);
	free(buf);
	return rc;
}

int
file_check_secrecy(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by us", path,
		         (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		         "%s: mode %04o lets group or others read it; "
		         "run chmod 600 %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}
