/*
 * keys.h: Ed25519 identities on disk.  libsodium is used here and in
 * proto/envelope.c only.
 *
 * Secret file (mode 0600, refused otherwise):
 *     sextant-ed25519-secret <base64 of the 32-byte seed>\n
 * Public file PATH.pub, and each line of the commander's authorized_pilots:
 *     sextant-ed25519 <base64 of the 32-byte public key> <comment>\n
 * In authorized_pilots the comment is the pilot's node name.
 */
#ifndef SEXTANT_KEYS_H
#define SEXTANT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_PK_BYTES     32
#define KEYS_SK_BYTES     64 /* seed || pk, libsodium's layout */
#define KEYS_PUB_LINE_MAX 256

struct keys_identity {
	uint8_t pk[KEYS_PK_BYTES];
	uint8_t sk[KEYS_SK_BYTES];
};

/* 0 or -EIO (libsodium could not initialise).  Safe to call repeatedly. */
int keys_init(void);
int keys_generate(struct keys_identity *id);
void keys_wipe(struct keys_identity *id);

/* Write PATH (0600) and PATH.pub (0644) atomically; -EEXIST if PATH exists. */
int keys_write(const char *path, const struct keys_identity *id,
               const char *comment);
/* Load a secret file; refuses group/world access.  err gets the reason. */
int keys_load_secret(const char *path, struct keys_identity *id, char *err,
                     size_t errlen);

/* "sextant-ed25519 BASE64 [comment]": 0, or -EINVAL with a reason in err.
 * comment may be NULL. */
int keys_parse_public(const char *line, uint8_t pk[KEYS_PK_BYTES],
                      char *comment, size_t commentcap, char *err,
                      size_t errlen);
/* Read the first line of a .pub file and parse it. */
int keys_load_public(const char *path, uint8_t pk[KEYS_PK_BYTES], char *comment,
                     size_t commentcap, char *err, size_t errlen);
/* The public line (no newline) into out; returns out. */
char *keys_format_public(const uint8_t pk[KEYS_PK_BYTES], const char *comment,
                         char *out, size_t cap);
/* Short printable fingerprint for logs: the first 11 base64 characters of
 * the key (its first 8 bytes), a prefix of the key in the .pub line. */
char *keys_fingerprint(const uint8_t pk[KEYS_PK_BYTES], char *out, size_t cap);

/*
 * HMAC-SHA256 of msg under key, as 64 lowercase hex digits and a NUL
 * (signing webhook bodies).  Lives here to keep libsodium in one place.
 */
void keys_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
                          size_t len, char out[65]);

#endif
