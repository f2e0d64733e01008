/*
** policy_sign.c - Ed25519 signing and signature checking of policy blobs over OpenSSL 3 EVP.
**
** Keys are PEM files read whole into memory (bounded), decoded from a memory BIO and checked
** to be Ed25519 before use. Every OpenSSL object is freed and the error queue cleared on every
** path, success or not; the buffer that held a private key is cleansed before it is freed.
** This file does not parse or verify the blob itself (policy_view.c does) and never prints.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy_sign.h"

#define KEY_FILE_MAX (64 * 1024)        /* a PEM key is a few hundred bytes */

typedef struct KeyFile {
    char *text;
    size_t len;
} KeyFile;

static const char *key_file_read(KeyFile *kf, const char *path)
{
    kf->text = NULL;
    kf->len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        switch (errno) {
        case ENOENT:
            return "key file not found";
        case EACCES:
            return "key file not readable: permission denied";
        case EISDIR:
            return "key file is a directory";
        default:
            return "cannot open key file";
        }
    }
    char *buf = malloc(KEY_FILE_MAX + 1);
    if (!buf) {
        fclose(fp);
        return "out of memory";
    }
    size_t n = fread(buf, 1, KEY_FILE_MAX + 1, fp);
    int bad = ferror(fp);
    fclose(fp);
    if (bad || n > KEY_FILE_MAX) {
        OPENSSL_cleanse(buf, n);
        free(buf);
        return bad ? "cannot read key file" : "key file too large for a PEM key";
    }
    buf[n] = 0;
    kf->text = buf;
    kf->len = n;
    return NULL;
}

static void key_file_free(KeyFile *kf)
{
    if (kf->text) {
        OPENSSL_cleanse(kf->text, kf->len);
        free(kf->text);
    }
    kf->text = NULL;
    kf->len = 0;
}

/* Refuse to prompt: an encrypted key fails to decode instead of reading the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

enum { WANT_PRIVATE = 1, WANT_PUBLIC = 2 };

/* Decode one key from KF: a private key, or (WANT_PUBLIC) a public key or the public half of
   a private key. NULL and *OUT set, or the reason. */
static const char *key_decode(const KeyFile *kf, int want, EVP_PKEY **out)
{
    *out = NULL;
    if (want == WANT_PUBLIC) {
        BIO *b = BIO_new_mem_buf(kf->text, (int)kf->len);
        if (!b) {
            return "out of memory";
        }
        *out = PEM_read_bio_PUBKEY(b, NULL, no_passphrase, NULL);
        BIO_free(b);
        ERR_clear_error();
        if (*out) {
            return NULL;
        }
    }
    BIO *b = BIO_new_mem_buf(kf->text, (int)kf->len);
    if (!b) {
        return "out of memory";
    }
    *out = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    ERR_clear_error();
    if (*out) {
        return NULL;
    }
    if (strstr(kf->text, "ENCRYPTED")) {
        return "the private key is encrypted; sign with an unencrypted key";
    }
    if (want == WANT_PRIVATE && strstr(kf->text, "-----BEGIN PUBLIC KEY-----")) {
        return "the key file holds a public key; signing needs the private key";
    }
    return want == WANT_PRIVATE ? "no PEM private key in the key file"
                                : "no PEM public key in the key file";
}

/* NULL when PKEY is Ed25519, else why not. */
static const char *key_kind_problem(const EVP_PKEY *pkey)
{
    static const struct {
        int id;
        const char *why;
    } kinds[] = {
        { EVP_PKEY_RSA, "the key is RSA, not Ed25519 (make one with "
                        "'openssl genpkey -algorithm ed25519')" },
        { EVP_PKEY_RSA_PSS, "the key is RSA-PSS, not Ed25519 (make one with "
                            "'openssl genpkey -algorithm ed25519')" },
        { EVP_PKEY_EC, "the key is EC (ECDSA), not Ed25519 (make one with "
                       "'openssl genpkey -algorithm ed25519')" },
        { EVP_PKEY_ED448, "the key is Ed448, not Ed25519 (make one with "
                          "'openssl genpkey -algorithm ed25519')" },
        { EVP_PKEY_X25519, "the key is X25519 (key agreement), not Ed25519 (make one with "
                           "'openssl genpkey -algorithm ed25519')" },
        { EVP_PKEY_DSA, "the key is DSA, not Ed25519 (make one with "
                        "'openssl genpkey -algorithm ed25519')" },
    };
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        return NULL;
    }
    int id = EVP_PKEY_get_base_id(pkey);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].id == id) {
            return kinds[i].why;
        }
    }
    return "the key is not an Ed25519 key (make one with 'openssl genpkey -algorithm ed25519')";
}

static const char *key_load(const char *path, int want, EVP_PKEY **out)
{
    KeyFile kf;
    *out = NULL;
    if (!path || !*path) {
        return "no key file given";
    }
    const char *why = key_file_read(&kf, path);
    if (!why) {
        why = key_decode(&kf, want, out);
    }
    key_file_free(&kf);
    if (!why && (why = key_kind_problem(*out)) != NULL) {
        EVP_PKEY_free(*out);
        *out = NULL;
    }
    return why;
}

/*
** Sign BODY[0, BODY_SIZE) with the Ed25519 private key in KEY_PEM_PATH into OUT.
** Inputs are borrowed; OUT is written only on success. Returns NULL or the reason.
*/
const char *policy_sign_body(const uint8_t *body, size_t body_size, const char *key_pem_path,
                             PolicySig *out)
{
    EVP_PKEY *pkey = NULL;
    if (!body || body_size < sizeof(PolicyHeader) || !out) {
        return "nothing to sign";
    }
    const char *why = key_load(key_pem_path, WANT_PRIVATE, &pkey);
    if (why) {
        return why;
    }
    uint8_t sig[POLICY_SIG_LEN];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) {
        why = "out of memory";
    } else if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1) {
        why = "cannot start Ed25519 signing";
    } else if (EVP_DigestSign(ctx, sig, &siglen, body, body_size) != 1
               || siglen != POLICY_SIG_LEN) {
        why = "Ed25519 signing failed";
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    if (why) {
        return why;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->magic, POLICY_SIG_MAGIC, sizeof out->magic);
    out->algorithm = POLICY_SIG_ED25519;
    out->len = POLICY_SIG_LEN;
    memcpy(out->sig, sig, sizeof sig);
    return NULL;
}

/*
** Read the trailer of the verified view V into OUT after checking its shape (see the header).
** Returns NULL or the reason; OUT is written only on success.
*/
const char *policy_sig_trailer(const PolicyView *v, PolicySig *out)
{
    if (!(v->h->flags & POLICY_SIGNED)) {
        return "the policy is not signed (compile it with --sign KEY.pem)";
    }
    uint64_t body = v->h->body_size;
    if (body > v->size || v->size - body < sizeof(PolicySig)) {
        return "the signature trailer is missing or truncated";
    }
    if (v->size - body > sizeof(PolicySig)) {
        return "unexpected bytes after the signature trailer";
    }
    PolicySig sig;
    memcpy(&sig, v->base + body, sizeof sig);  /* the trailer need not be aligned */
    if (memcmp(sig.magic, POLICY_SIG_MAGIC, sizeof sig.magic) != 0) {
        return "bad signature trailer magic (expected 'NDSIG001')";
    }
    if (sig.algorithm != POLICY_SIG_ED25519) {
        return "unknown signature algorithm (only 1, Ed25519, is defined)";
    }
    if (sig.len != POLICY_SIG_LEN) {
        return "bad signature length (Ed25519 signatures are 64 bytes)";
    }
    *out = sig;
    return NULL;
}

/*
** Check the signature of the verified view V with the public key in PUB_PEM_PATH.
** Returns NULL when it verifies, else the reason.
*/
const char *policy_check_signature(const PolicyView *v, const char *pub_pem_path)
{
    PolicySig sig;
    const char *why = policy_sig_trailer(v, &sig);
    if (why) {
        return why;
    }
    EVP_PKEY *pkey = NULL;
    why = key_load(pub_pem_path, WANT_PUBLIC, &pkey);
    if (why) {
        return why;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) {
        why = "out of memory";
    } else if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
        why = "cannot start Ed25519 verification";
    } else if (EVP_DigestVerify(ctx, sig.sig, sig.len, v->base, (size_t)v->h->body_size) != 1) {
        why = "bad signature: it does not verify with this key (wrong key, or the policy or "
              "its signature was altered)";
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return why;
}
