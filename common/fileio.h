/*
 * fileio.h: whole-file reads with a size bound, atomic writes, and the
 * secrecy check for key files.  Returns 0 or -errno; never logs.
 */
#ifndef SEXTANT_FILEIO_H
#define SEXTANT_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Write buf to path atomically: a temp file in the same directory, fsync,
 * rename over path, fsync the directory.  A crash leaves either the old or
 * the new file, never a torn one.  mode applies to the new file.
 */
int file_write_atomic(const char *path, const void *buf, size_t len,
                      mode_t mode);

/*
 * Read the whole of path into a fresh NUL-terminated buffer (*out, caller
 * frees).  Files larger than max are refused with -EFBIG.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

/*
 * Refuse a secret file that is not a regular file owned by us (or root) or
 * that group or others can read or write: -EPERM with a reason in err.
 */
int file_check_secrecy(const char *path, char *err, size_t errlen);

#endif
