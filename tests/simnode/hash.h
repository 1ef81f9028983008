/*
 * hash.h: SHA-256, hex and base64 for simnode (libc only, so no libsodium).
 * Block hashes are SHA-256 over the chain identity and the height, so every
 * simnode and reference of one chain agrees on them.
 */
#ifndef SIMNODE_HASH_H
#define SIMNODE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void sn_sha256(const void *data, size_t n, uint8_t out[32]);
/* Hex of n bytes into out (2n+1 bytes), upper or lower case. */
void sn_hex(const uint8_t *in, size_t n, bool upper, char *out);
/* Standard padded base64 of n bytes into out (4*ceil(n/3)+1 bytes). */
void sn_base64(const uint8_t *in, size_t n, char *out);
/* Decode standard padded base64 (NUL-terminated in) into out; returns the
 * decoded length, or -1 on a bad character, bad padding or overflow. */
int sn_base64_decode(const char *in, uint8_t *out, size_t size);

#endif
