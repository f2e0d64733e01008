/*
** storage_dbengine_pages.c - how the dbengine writes open pages (storage_dbengine.c decides
** when): a dimension's page goes together with the open pages of its chart that hold the same
** slots, as one group record (gorilla_group.c) when they form a group (the rows of a percentage
** chart, or a constant sum) and that is smaller than their page records, else as one page
** record each (gorilla.c); then every written page is in its dimension's index.
*/
#include <math.h>
#include <stdint.h>

#include "gorilla.h"
#include "storage_dbengine.h"

/* Encode and write D's open page and index it. */
static void page_write_one(StorageDim *d)
{
    StorageHost *h = d->host;
    GorillaPage p = {d->open_t, (uint32_t)d->update_every, d->open_n, d->open};
    size_t len = gorilla_encode(&p, h->wbuf + DBE_REC_HDR, gorilla_bound(DBE_PAGE_POINTS));
    DbePageRef r = {.first_t = d->open_t, .count = (uint16_t)d->open_n};
    if (len && storage_dbe_write(h, d->no, len, &r) == 0) {
        storage_dbe_index_add(d, &r);
    }
}

/* Whether K open pages M (one chart, the same slots) look like a group (gorilla_group.c): the
   first present row sums to 100 (percentages), or the first two rows have the same sum (a
   constant total). Cheap, so that other charts skip the group encoder. */
static int looks_like_rows(StorageDim **m, uint32_t k)
{
    double sum[2];
    int rows = 0;
    for (uint32_t i = 0; i < m[0]->open_n && rows < 2; i++) {
        if (m[0]->open[i] != m[0]->open[i]) {
            continue;
        }
        sum[rows] = 0;
        for (uint32_t j = 0; j < k; j++) {
            sum[rows] += m[j]->open[i];
        }
        if (rows++ == 0 && fabs(sum[0] - 100.0) < 1e-3) {
            return 1;
        }
    }
    return rows == 2 && sum[0] == sum[1];
}

/* Write the open pages M[0..K) as one group record when that is smaller than K page records:
   1 when written (or lost to a write error, as a page would be), 0 when they go one by one. */
static int group_write(StorageHost *h, StorageDim **m, uint32_t k)
{
    GorillaPage p[GORILLA_GROUP_MAX];
    size_t head = 4 * (size_t)k, pages = 0;
    uint8_t *out = h->wbuf + DBE_REC_HDR;
    if (!looks_like_rows(m, k)) {
        return 0;
    }
    for (uint32_t j = 0; j < k; j++) {
        p[j] = (GorillaPage){m[j]->open_t, (uint32_t)m[j]->update_every, m[j]->open_n,
                             m[j]->open};
    }
    size_t len = gorilla_group_encode(p, k, DBE_GROUP_MAX - head + 1, out + head,
                                      DBE_GROUP_MAX - head);
    if (!len) {
        return 0;
    }
    /* the pages one by one, only as far as it takes to know they are bigger */
    size_t group = DBE_REC_HDR + head + len;
    for (uint32_t j = 0; j < k && pages <= group; j++) {
        pages += DBE_REC_HDR + gorilla_encode(&p[j], h->rbuf, gorilla_bound(DBE_PAGE_POINTS));
    }
    if (pages <= group) {
        return 0;
    }
    for (uint32_t j = 0; j < k; j++) {
        put32(out + 4 * j, m[j]->no);
    }
    DbePageRef r = {.first_t = m[0]->open_t, .count = (uint16_t)m[0]->open_n};
    if (storage_dbe_write_group(h, k, head + len, &r) == 0) {
        for (uint32_t j = 0; j < k; j++) {
            r.member = (uint8_t)j;
            storage_dbe_index_add(m[j], &r);
        }
    }
    return 1;
}

/*
** Write D's open page (if any) together with the open pages of its chart that hold the same
** slots: one group record when they form a group (percentages of one row, or a constant sum)
** and that is smaller, else a page record each. Their open pages are empty afterwards.
*/
void storage_dbe_page_write(StorageDim *d)
{
    if (!d->open_n) {
        return;
    }
    StorageDim *m[GORILLA_GROUP_MAX];
    uint32_t k = 0;
    m[k++] = d;
    for (StorageDim *s = d->sib; s != d && k < GORILLA_GROUP_MAX; s = s->sib) {
        if (s->open_n == d->open_n && s->open_t == d->open_t
            && s->update_every == d->update_every) {
            m[k++] = s;
        }
    }
    if (k < 2 || !group_write(d->host, m, k)) {
        for (uint32_t j = 0; j < k; j++) {
            page_write_one(m[j]);
        }
    }
    for (uint32_t j = 0; j < k; j++) {
        m[j]->open_n = 0;
    }
}

/* Whether a dim of D's chart is one slot short of D's full page (its value for D's last slot
   is still to come in this round): D's page then waits for it, so that they are written
   together. */
int storage_dbe_sibling_pending(const StorageDim *d)
{
    for (const StorageDim *s = d->sib; s != d; s = s->sib) {
        if (s->open_n == DBE_PAGE_POINTS - 1 && s->open_t == d->open_t
            && s->update_every == d->update_every) {
            return 1;
        }
    }
    return 0;
}
