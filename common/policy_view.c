/*
** policy_view.c - the hostile-input gate for policy blobs (policy_format.h) and the zero-copy
** accessors over a verified blob (policy_view.h).
**
** policy_view_init() checks, in this order: buffer alignment, size against the header, magic,
** major version, header size, file size, body size and signature trailer shape, reserved
** fields, the XXH3-64 checksum, the schema hash, the section table, then every record of every
** section (policy_records.c). Cheap checks that identify the file come before the checksum so
** that a wrong file gets a precise reason; the checksum comes before anything that interprets
** offsets, so a damaged file reads as "corrupted"; record checks come last, because they can
** only fail for a file written wrong (or forged with a matching checksum). Every addition of
** offsets and lengths is done in 64 bits. Nothing is allocated, nothing is printed; a refusal
** returns a one-line reason formatted into a thread-local buffer (valid until the next call in
** the same thread). This file does not check signatures (no key here: streamc verify does).
*/
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack: no allocation */
#include "policy_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <xxhash.h>

#include "guid.h"
#include "policy_records.h"
#include "schema_tables.h"

static _Thread_local char why_buf[256];

const char *policy_why(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why_buf, sizeof why_buf, fmt, ap);
    va_end(ap);
    return why_buf;
}

/* Record size of each known section (0: a byte area) and its name for reasons. */
static const struct {
    uint32_t rec;
    const char *name;
} known[POLICY_SEC__LAST + 1] = {
    [POLICY_SEC_STRINGS] = { 0, "strings" },
    [POLICY_SEC_NODE] = { sizeof(PolicyNode), "node" },
    [POLICY_SEC_SETTINGS] = { sizeof(PolicySetting), "settings" },
    [POLICY_SEC_APIKEYS] = { sizeof(PolicyKey), "api keys" },
    [POLICY_SEC_MACHINES] = { sizeof(PolicyKey), "machines" },
    [POLICY_SEC_PROGRAMS] = { 0, "programs" },
    [POLICY_SEC_DESTS] = { sizeof(PolicyDest), "destinations" },
    [POLICY_SEC_LISTENERS] = { sizeof(PolicyListener), "listeners" },
    [POLICY_SEC_LINES] = { sizeof(uint32_t), "lines" },
    [POLICY_SEC_KEYINDEX] = { 0, "key index" },
};

#define SIG_OFF_MAGIC 0
#define SIG_OFF_ALG 8
#define SIG_OFF_LEN 12

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);   /* the trailer follows the body: only byte-aligned */
    return v;
}

/* XXH3-64 of [0, body) with the checksum field read as zero; the buffer is not modified. */
static uint64_t body_checksum(const uint8_t *base, uint64_t body)
{
    static const uint8_t zero[sizeof(uint64_t)];
    const size_t at = offsetof(PolicyHeader, checksum);
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, base, at);
    XXH3_64bits_update(&st, zero, sizeof zero);
    XXH3_64bits_update(&st, base + at + sizeof zero, (size_t)(body - at - sizeof zero));
    return XXH3_64bits_digest(&st);
}

/* Header fields up to (not including) the checksum and schema: which file, which size. */
static const char *check_header(const uint8_t *base, size_t n)
{
    if (((uintptr_t)base & (POLICY_ALIGN - 1)) != 0) {
        return "policy buffer is not 8-byte aligned";
    }
    if (n < sizeof(PolicyHeader)) {
        return policy_why("file is %zu bytes: shorter than the %zu-byte header", n,
                          sizeof(PolicyHeader));
    }
    const PolicyHeader *h = (const PolicyHeader *)base;
    if (memcmp(h->magic, POLICY_MAGIC, sizeof h->magic) != 0) {
        return "bad magic: not a streamc policy";
    }
    if (h->version_major != POLICY_VERSION_MAJOR) {
        return policy_why("format version %u.%u is not supported (this build reads %d.x)",
                          h->version_major, h->version_minor, POLICY_VERSION_MAJOR);
    }
    if (h->header_size != sizeof(PolicyHeader)) {
        return policy_why("header size is %u bytes, expected %zu", h->header_size,
                          sizeof(PolicyHeader));
    }
    if (h->file_size > n) {
        return policy_why("truncated: file is %zu bytes, its header says %llu", n,
                          (unsigned long long)h->file_size);
    }
    if (h->file_size < n) {
        return policy_why("file is %zu bytes, its header says %llu: trailing bytes", n,
                          (unsigned long long)h->file_size);
    }
    if (h->flags & ~(uint32_t)POLICY_SIGNED) {
        return policy_why("unknown header flags 0x%x", h->flags & ~(uint32_t)POLICY_SIGNED);
    }
    uint64_t trailer = (h->flags & POLICY_SIGNED) ? sizeof(PolicySig) : 0;
    if (h->file_size < sizeof(PolicyHeader) + trailer ||   /* before the subtraction: no wrap */
        h->body_size != h->file_size - trailer) {
        return policy_why("body size %llu does not fit %s file of %llu bytes",
                          (unsigned long long)h->body_size,
                          (h->flags & POLICY_SIGNED) ? "a signed" : "an unsigned",
                          (unsigned long long)h->file_size);
    }
    if (h->flags & POLICY_SIGNED) {
        const uint8_t *sig = base + h->body_size;
        if (memcmp(sig + SIG_OFF_MAGIC, POLICY_SIG_MAGIC, 8) != 0) {
            return "bad signature trailer magic";
        }
        if (rd32(sig + SIG_OFF_ALG) != 1) {
            return policy_why("signature algorithm %u is not supported (1 = Ed25519)",
                              rd32(sig + SIG_OFF_ALG));
        }
        if (rd32(sig + SIG_OFF_LEN) != 64) {
            return policy_why("signature length is %u bytes, expected 64",
                              rd32(sig + SIG_OFF_LEN));
        }
    }
    if (h->reserved[0] || h->reserved[1]) {
        return "reserved header fields are not zero";
    }
    return NULL;
}

static int overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

/* The section table: bounds, order, alignment, sizes, required ids. Fills C->sec[]. */
static const char *check_sections(PolicyCheck *c)
{
    const PolicyHeader *h = c->h;
    uint64_t toff = h->sections_off, tlen = (uint64_t)h->nsections * sizeof(PolicySection);
    if (toff % POLICY_ALIGN) {
        return "section table is not 8-byte aligned";
    }
    if (toff < sizeof(PolicyHeader)) {
        return "section table overlaps the header";
    }
    if (toff + tlen > c->body) {
        return "section table runs past the end of the body";
    }
    const PolicySection *s = (const PolicySection *)(c->base + toff);
    for (uint32_t i = 0; i < h->nsections; i++) {
        uint32_t id = s[i].id;
        if (i && id <= s[i - 1].id) {
            return id == s[i - 1].id ? policy_why("section %u appears twice", id)
                                     : policy_why("sections are not sorted by id (%u after %u)",
                                                  id, s[i - 1].id);
        }
        if (s[i].off % POLICY_ALIGN) {
            return policy_why("section %u is not 8-byte aligned", id);
        }
        if ((uint64_t)s[i].off + s[i].size > c->body) {
            return policy_why("section %u runs past the end of the body", id);
        }
        if (overlaps(s[i].off, s[i].size, 0, sizeof(PolicyHeader)) ||
            overlaps(s[i].off, s[i].size, toff, tlen)) {
            return policy_why("section %u overlaps the header or the section table", id);
        }
        if (id == 0 || id > POLICY_SEC__LAST) {
            if (h->version_minor <= POLICY_VERSION_MINOR) {
                return policy_why("section id %u is unknown in format %u.%u", id,
                                  h->version_major, h->version_minor);
            }
            continue;   /* a newer minor's optional section: skipped */
        }
        uint32_t rec = known[id].rec;
        uint64_t want = rec ? (uint64_t)s[i].count * rec : s[i].count;
        if (s[i].size != want) {
            return rec ? policy_why("section %u (%s) is %u bytes, expected %u records of %u bytes",
                                    id, known[id].name, s[i].size, s[i].count, rec)
                       : policy_why("section %u (%s) is %u bytes but its count says %u", id,
                                    known[id].name, s[i].size, s[i].count);
        }
        for (uint32_t k = 1; k < id; k++) {
            const PolicySection *o = c->sec[k];
            if (o && overlaps(s[i].off, s[i].size, o->off, o->size)) {
                return policy_why("sections %u and %u overlap", k, id);
            }
        }
        c->sec[id] = &s[i];
    }
    for (uint32_t id = 1; id <= POLICY_SEC__REQUIRED_MAX; id++) {
        if (!c->sec[id]) {
            return policy_why("required section %u (%s) is missing", id, known[id].name);
        }
    }
    return NULL;
}

/* Point the view at the sections (bounds already checked). */
static void fill_view(PolicyCheck *c)
{
    PolicyView *v = &c->v;
    const uint8_t *b = c->base;
    memset(v, 0, sizeof *v);
    v->base = b;
    v->size = c->n;
    v->h = c->h;
    v->strings = (const char *)b + c->sec[POLICY_SEC_STRINGS]->off;
    v->strings_size = c->sec[POLICY_SEC_STRINGS]->size;
    v->node = (const PolicyNode *)(b + c->sec[POLICY_SEC_NODE]->off);
    v->settings = (const PolicySetting *)(b + c->sec[POLICY_SEC_SETTINGS]->off);
    v->nsettings = c->sec[POLICY_SEC_SETTINGS]->count;
    v->apikeys = (const PolicyKey *)(b + c->sec[POLICY_SEC_APIKEYS]->off);
    v->napikeys = c->sec[POLICY_SEC_APIKEYS]->count;
    v->machines = (const PolicyKey *)(b + c->sec[POLICY_SEC_MACHINES]->off);
    v->nmachines = c->sec[POLICY_SEC_MACHINES]->count;
    v->programs = b + c->sec[POLICY_SEC_PROGRAMS]->off;
    v->programs_size = c->sec[POLICY_SEC_PROGRAMS]->size;
    v->dests = (const PolicyDest *)(b + c->sec[POLICY_SEC_DESTS]->off);
    v->ndests = c->sec[POLICY_SEC_DESTS]->count;
    v->listeners = (const PolicyListener *)(b + c->sec[POLICY_SEC_LISTENERS]->off);
    v->nlisteners = c->sec[POLICY_SEC_LISTENERS]->count;
    if (c->sec[POLICY_SEC_LINES]) {
        v->lines = (const uint32_t *)(b + c->sec[POLICY_SEC_LINES]->off);
    }
    if (c->sec[POLICY_SEC_KEYINDEX]) {
        const PolicyKeyIndex *ki = (const PolicyKeyIndex *)(b + c->sec[POLICY_SEC_KEYINDEX]->off);
        v->api_cap = ki->api_cap;
        v->machine_cap = ki->machine_cap;
        v->api_slots = (const PolicyKeySlot *)(ki + 1);
        v->machine_slots = v->api_slots + ki->api_cap;
    }
}

uint32_t policy_key_hash(const uint8_t bin[16])
{
    uint64_t a, b;
    memcpy(&a, bin, 8);
    memcpy(&b, bin + 8, 8);
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
    return (uint32_t)(h >> 32);
}

/* One table of the key index: size, power-of-two cap larger than the table, slot values in
   range and exactly N used. That is all memory safety needs: probes end at an empty slot and
   land on real records; a crafted index could only make a lookup miss. */
static const char *check_index_table(const PolicyKeySlot *slots, uint32_t cap, uint32_t n,
                                     const char *what)
{
    if (n == 0 && cap == 0) {
        return NULL;
    }
    if (cap <= n || (cap & (cap - 1))) {
        return policy_why("key index: %s capacity %u is not a power of two above %u", what, cap,
                          n);
    }
    uint32_t used = 0;
    for (uint32_t i = 0; i < cap; i++) {
        if (slots[i].rec > n) {
            return policy_why("key index: %s slot %u points past the table", what, i);
        }
        used += slots[i].rec != 0;
    }
    return used == n ? NULL : policy_why("key index: %s has %u slots used for %u keys", what,
                                         used, n);
}

static const char *check_index(const PolicyCheck *c)
{
    const PolicySection *sec = c->sec[POLICY_SEC_KEYINDEX];
    if (!sec) {
        return NULL;
    }
    if (sec->size < sizeof(PolicyKeyIndex)) {
        return "key index is shorter than its header";
    }
    const PolicyKeyIndex *ki = (const PolicyKeyIndex *)(c->base + sec->off);
    uint64_t want = sizeof *ki + sizeof(PolicyKeySlot) * ((uint64_t)ki->api_cap + ki->machine_cap);
    if (sec->size != want) {
        return policy_why("key index is %u bytes, its capacities need %llu", sec->size,
                          (unsigned long long)want);
    }
    const PolicyKeySlot *slots = (const PolicyKeySlot *)(ki + 1);
    const char *why = check_index_table(slots, ki->api_cap, c->sec[POLICY_SEC_APIKEYS]->count,
                                        "api keys");
    return why ? why : check_index_table(slots + ki->api_cap, ki->machine_cap,
                                         c->sec[POLICY_SEC_MACHINES]->count, "machines");
}

/*
** Verify N bytes at BUF and fill *V. BUF must be 8-byte aligned and stay mapped while V is
** used; nothing is copied. Returns NULL when the blob is valid, else a one-line reason (lower
** case, no period) in a thread-local buffer; V is untouched on failure.
*/
/* The checksum of a large body runs on a second thread while this one checks the structure:
   the two passes are independent, and together they are the whole cost of loading (a 34 MB
   policy: ~1.6 ms of XXH3, ~4 ms of record checks). The structure checks never trust the
   content, so running them before the checksum is known is safe; the result is reported in
   the same order as a serial load would (checksum, schema, structure). */
#define POLICY_PARALLEL_MIN ((uint64_t)1 << 20)

typedef struct SumJob {
    const uint8_t *base;
    uint64_t body, sum;
    PolicyCheck *c;              /* NULL: checksum only */
    uint32_t from;               /* settings [from, nsettings) are checked on the thread */
    const char *why;             /* NULL, or points to reason */
    char reason[256];
} SumJob;

static void *sum_thread(void *arg)
{
    SumJob *j = arg;
    j->sum = body_checksum(j->base, j->body);
    if (j->c && j->sum == j->c->h->checksum) {
        const char *why = policy_check_settings(j->c, j->from, j->c->v.nsettings);
        if (why) {
            snprintf(j->reason, sizeof j->reason, "%s", why);   /* this thread's buffer dies */
            j->why = j->reason;
        }
    }
    return NULL;
}

static const char *check_structure(PolicyCheck *c, SumJob *job, pthread_t *th, int *threaded)
{
    const char *why;
    if ((why = check_sections(c)) != NULL || (why = check_index(c)) != NULL) {
        return why;
    }
    fill_view(c);
    uint32_t to = c->v.nsettings;
    if (*threaded == 0 && c->h->body_size >= POLICY_PARALLEL_MIN) {
        /* the thread sums the whole body (~1.6 ms on 34 MB) then checks the last third of
           the settings, while this one checks the rest: the two finish together */
        job->c = c;
        job->from = to - to / 3;
        if (pthread_create(th, NULL, sum_thread, job) == 0) {
            *threaded = 1;
            to = job->from;
        } else {
            job->c = NULL;
        }
    }
    const char *head = policy_check_head(c, to);
    const char *tail = head ? NULL : policy_check_tail(c);
    const char *mid = NULL;
    if (*threaded == 1) {
        pthread_join(*th, NULL);
        *threaded = 2;
        if (job->sum != c->h->checksum) {
            return NULL;   /* the caller reports the checksum first */
        }
        mid = job->why;
    } else if (!head) {
        mid = policy_check_settings(c, to, c->v.nsettings);   /* nothing here: to == n */
    }
    return head ? head : mid ? mid : tail;
}

const char *policy_view_init(PolicyView *v, const void *buf, size_t n)
{
    const uint8_t *base = buf;
    const char *why = check_header(base, n);
    if (why) {
        return why;
    }
    const PolicyHeader *h = (const PolicyHeader *)base;
    PolicyCheck c;
    memset(&c, 0, sizeof c);
    c.base = base;
    c.n = n;
    c.body = h->body_size;
    c.h = h;
    SumJob job;
    memset(&job, 0, sizeof job);
    job.base = base;
    job.body = h->body_size;
    pthread_t th;
    int threaded = 0;   /* 0 serial, 1 running, 2 joined */
    if (h->body_size < POLICY_PARALLEL_MIN) {
        threaded = -1;
        if (body_checksum(base, h->body_size) != h->checksum) {
            return "checksum mismatch: the file is corrupted";
        }
    }
    /* the schema hash must match before the records are read by this schema's key ids */
    why = h->schema_hash != SCHEMA_HASH ? "" : check_structure(&c, &job, &th, &threaded);
    if (threaded == 0 && h->body_size >= POLICY_PARALLEL_MIN) {
        job.sum = body_checksum(base, h->body_size);   /* no thread was started */
        threaded = 2;
    }
    if (threaded == 2 && job.sum != h->checksum) {
        return "checksum mismatch: the file is corrupted";
    }
    if (h->schema_hash != SCHEMA_HASH) {
        return policy_why("compiled for a different key schema (0x%08x != 0x%08x)",
                          h->schema_hash, SCHEMA_HASH);
    }
    if (why) {
        return why;
    }
    *v = c.v;
    return NULL;
}

/* ---- accessors: V passed policy_view_init ----------------------------------------------- */

const char *policy_str(const PolicyView *v, PolicyStr s)
{
    if ((uint64_t)s.off + s.len >= v->strings_size) {
        return "";   /* not from this blob: cheap insurance, never taken for a blob's own */
    }
    return v->strings + s.off;
}

static int cmp_key(const PolicyKey *k, const uint8_t bin[16], const char *z, size_t n,
                   const char *strings)
{
    int r = memcmp(k->bin, bin, 16);
    if (r) {
        return r;
    }
    size_t kn = k->text.len;
    r = memcmp(strings + k->text.off, z, kn < n ? kn : n);
    return r ? r : (kn > n) - (kn < n);
}

/*
** The API-key (MACHINES == 0) or machine-GUID (MACHINES != 0) section named exactly Z[0..N)
** (case matters, as in Netdata's config lookup), or NULL. O(log n): binary search on the
** 16-byte form, whose order is the table's primary order, then on the text.
*/
const PolicyKey *policy_find_key(const PolicyView *v, int machines, const char *z, size_t n)
{
    uint8_t bin[16];
    uint32_t upper;
    if (guid_parse_case(z, n, bin, &upper) != 0) {
        return NULL;
    }
    const PolicyKey *t = machines ? v->machines : v->apikeys;
    const PolicyKeySlot *slots = machines ? v->machine_slots : v->api_slots;
    uint32_t cap = machines ? v->machine_cap : v->api_cap;
    if (slots) {
        /* the index: one slot touched (it repeats the record's bin and case mask); the record
           and the name are not read */
        if (!cap) {
            return NULL;
        }
        for (uint32_t i = policy_key_hash(bin) & (cap - 1);; i = (i + 1) & (cap - 1)) {
            const PolicyKeySlot *sl = &slots[i];
            if (!sl->rec) {
                return NULL;
            }
            if (sl->upper == upper && memcmp(sl->bin, bin, 16) == 0) {
                return &t[sl->rec - 1];
            }
        }
    }
    uint32_t lo = 0, hi = machines ? v->nmachines : v->napikeys;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int r = cmp_key(&t[mid], bin, z, n, v->strings);
        if (r == 0) {
            return &t[mid];
        }
        if (r < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* Setting KEY_ID of OWNER (NULL: the node's globals), or NULL when the owner does not set it. */
const PolicySetting *policy_find_setting(const PolicyView *v, const PolicyKey *owner,
                                         unsigned key_id)
{
    uint32_t first = owner ? owner->settings_first : v->node->settings_first;
    uint32_t lo = 0, hi = owner ? owner->settings_count : v->node->settings_count;
    const PolicySetting *s = v->settings + first;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s[mid].key == key_id) {
            return &s[mid];
        }
        if (s[mid].key < key_id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* The compiled program of a VAL_PATTERN setting, or NULL (not a pattern, or no pattern). */
const void *policy_program(const PolicyView *v, const PolicySetting *s)
{
    if (s->vtype != VAL_PATTERN || s->aux_len == 0) {
        return NULL;
    }
    return v->programs + s->aux_off;
}

/* Source line of setting S (a record of V's settings table), or 0 in a stripped policy. */
uint32_t policy_setting_line(const PolicyView *v, const PolicySetting *s)
{
    if (!v->lines || s < v->settings || s >= v->settings + v->nsettings) {
        return 0;
    }
    return v->lines[s - v->settings];
}
