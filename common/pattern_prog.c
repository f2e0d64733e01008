/*
** pattern_prog.c - hashing and verification of compiled simple patterns (pattern_prog.h).
*/
#include "pattern_prog.h"

#include <string.h>

uint32_t pattern_hash(uint32_t kind, const char *z, size_t n)
{
    uint32_t h = 2166136261u ^ kind;   /* FNV-1a: keys are short (IPs, chart ids) */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)z[i];
        h *= 16777619u;
    }
    h ^= h >> 15;
    return h ? h : 1;
}

/* [off, off + count * size) inside [0, total)? */
static int inside(uint32_t off, uint64_t count, uint64_t size, uint32_t total)
{
    uint64_t end = (uint64_t)off + count * size;
    return (off & 3) == 0 && end <= total;
}

const char *pattern_prog_verify(const void *p, size_t n)
{
    if (((uintptr_t)p & 3) != 0) {
        return "pattern program is not 4-byte aligned";
    }
    if (n < sizeof(PatHeader)) {
        return "pattern program is shorter than its header";
    }
    const PatHeader *h = p;
    if (h->magic != PAT_MAGIC) {
        return "pattern program has a bad magic number";
    }
    if (h->size != n || n > UINT32_MAX) {
        return "pattern program size does not match";
    }
    uint32_t total = (uint32_t)n;
    if (h->flags & ~(uint32_t)(PAT_EMPTY | PAT_INDEXED)) {
        return "pattern program has unknown flags";
    }
    if (!inside(h->terms_off, h->nterms, sizeof(PatTerm), total) ||
        !inside(h->pieces_off, h->npieces, sizeof(PatPiece), total) ||
        !inside(h->hash_off, h->hash_cap, sizeof(PatSlot), total) ||
        !inside(h->prefix_lens_off, h->nprefix_lens, 4, total) ||
        !inside(h->suffix_lens_off, h->nsuffix_lens, 4, total) ||
        !inside(h->general_off, h->ngeneral, 4, total) ||
        (uint64_t)h->strings_off + h->strings_len > total) {
        return "pattern program has a table outside its bounds";
    }
    if (h->hash_cap & (h->hash_cap - 1)) {
        return "pattern program hash table size is not a power of two";
    }
    if ((h->flags & PAT_INDEXED) && h->hash_cap == 0 && (h->nprefix_lens || h->nsuffix_lens)) {
        return "pattern program has index lengths without a hash table";
    }
    if (h->all_term != PAT_NONE_TERM && h->all_term >= h->nterms) {
        return "pattern program match-all term is out of range";
    }
    const PatTerm *t = (const PatTerm *)((const char *)p + h->terms_off);
    for (uint32_t i = 0; i < h->nterms; i++) {
        if (t[i].npieces == 0 || (uint64_t)t[i].first_piece + t[i].npieces > h->npieces ||
            t[i].kind > TERM_ALL || t[i].negative > 1 || t[i].reserved) {
            return "pattern program has a bad term";
        }
    }
    const PatPiece *pc = (const PatPiece *)((const char *)p + h->pieces_off);
    for (uint32_t i = 0; i < h->nterms; i++) {
        const PatPiece *first = &pc[t[i].first_piece];
        if (t[i].kind == TERM_ALL && (t[i].npieces != 1 || first->len != 0 ||
                                      first->mode < PIECE_SUFFIX)) {
            return "pattern program has a match-all term that is not '*'";
        }
    }
    for (uint32_t i = 0; i < h->npieces; i++) {
        if (pc[i].mode > PIECE_SUBSTRING || (uint64_t)pc[i].off + pc[i].len > h->strings_len) {
            return "pattern program has a bad piece";
        }
    }
    const PatSlot *sl = (const PatSlot *)((const char *)p + h->hash_off);
    uint32_t used = 0, nexact = 0;
    for (uint32_t i = 0; i < h->hash_cap; i++) {
        if (!sl[i].hash) {
            continue;
        }
        used++;
        nexact += sl[i].kind == TERM_EXACT;
        if (sl[i].kind < TERM_EXACT || sl[i].kind > TERM_SUFFIX || sl[i].term >= h->nterms ||
            (uint64_t)sl[i].off + sl[i].len > h->strings_len) {
            return "pattern program has a bad hash slot";
        }
        const char *key = (const char *)p + h->strings_off + sl[i].off;
        if (sl[i].hash != pattern_hash(sl[i].kind, key, sl[i].len)) {
            return "pattern program hash slot does not match its key";
        }
    }
    if (nexact != h->nexact) {
        return "pattern program exact-key count does not match its table";
    }
    if (h->hash_cap && used >= h->hash_cap) {
        return "pattern program hash table has no free slot";   /* lookups must terminate */
    }
    const uint32_t *g = (const uint32_t *)((const char *)p + h->general_off);
    for (uint32_t i = 0; i < h->ngeneral; i++) {
        if (g[i] >= h->nterms || (i && g[i] <= g[i - 1])) {
            return "pattern program general list is not ascending term indexes";
        }
    }
    return NULL;
}
