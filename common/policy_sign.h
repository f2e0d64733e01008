/*
** policy_sign.h - Ed25519 signatures of policy blobs (OpenSSL 3 EVP): sign the body when
** compiling, check the PolicySig trailer when verifying or loading with a key.
**
** The signature covers body bytes [0, body_size): the header (with POLICY_SIGNED set, file_size
** = body_size + sizeof(PolicySig) and the final checksum), the section table and the sections.
** Every function returns NULL on success or a one-line reason (lower case, no path: the caller
** names the file); nothing prints, nothing is kept between calls.
*/
#ifndef STREAMC_POLICY_SIGN_H
#define STREAMC_POLICY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "policy_format.h"
#include "policy_view.h"

enum { POLICY_SIG_ED25519 = 1 };        /* PolicySig.algorithm */
#define POLICY_SIG_LEN 64               /* PolicySig.len for Ed25519 */

/* Sign BODY[0, BODY_SIZE) with the Ed25519 private key in the PEM file KEY_PEM_PATH and fill
   OUT (magic, algorithm, len, sig). The body must already be final: flags, file_size and
   checksum set. OUT is untouched on failure. Refuses a missing or unreadable file, an
   encrypted key, a file without a private key and any key type other than Ed25519. */
const char *policy_sign_body(const uint8_t *body, size_t body_size, const char *key_pem_path,
                             PolicySig *out);

/* Check the signature of a verified view V (policy_view_init succeeded) against the Ed25519
   public key in PUB_PEM_PATH (a PEM "PUBLIC KEY"; a PEM private key is accepted too and its
   public half used). Refuses an unsigned policy, a malformed trailer, a non-Ed25519 key and a
   signature that does not verify (wrong key, or signed bytes or signature altered). */
const char *policy_check_signature(const PolicyView *v, const char *pub_pem_path);

/* The trailer of a verified view V: NULL and *OUT filled when V is signed and the trailer is
   well formed (in the file, magic, algorithm 1, len 64); else the reason ("not signed", ...).
   Checks the shape only, not the signature. */
const char *policy_sig_trailer(const PolicyView *v, PolicySig *out);

#endif
