/*
** fuzz_wire.c - libFuzzer target for runtime/wire.c and runtime/ingest.c. The input is a byte
** stream from a child: it goes through a WireReader in chunks whose sizes come from a generator
** seeded by the first two input bytes (which are fed too, so seeds stay byte-exact sessions), and
** every line goes to ingest_line on a fresh host. After a disconnect the Ingest is reset and the
** stream goes on, as if the child had reconnected.
**
** Traps when: a line is longer than WIRE_MAX_LINE, cut without being WIRE_MAX_LINE long, not
** NUL-terminated, or differs from the input bytes at that place (lines + '\n' + the pending
** tail must rebuild the input); the space offered is 0 while no line is pending; wire_split
** gives more than 20 words, a word outside the line, or words that differ from a reference
** splitter written as the spec states the rules; err/note are unterminated; INGEST_OK comes with
** an err, or a disconnect without err or note. An odd first byte runs the session with
** REPLICATION negotiated (ingest_repl.c stores replicated points and queues REPLAY_CHART lines,
** which must stay well-formed lines). Everything is freed each run (leaks are found).
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "policy_format.h"
#include "rrd.h"
#include "sbuf.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char copy[WIRE_MAX_LINE + 1], ref[WIRE_MAX_LINE + 1];

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static int sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=';
}

/*
** Reference splitter, from the spec's wording (§3.1) rather than wire.c's loop: a closing quote
** is first turned into a space, which then ends the word like any separator.
*/
static size_t ref_split(char *s, char **w, size_t max)
{
    size_t n = 0;
    char q = 0;
    while (sep(*s)) {
        s++;
    }
    if (!*s) {
        return 0;
    }
    if (*s == '"' || *s == '\'') {
        q = *s++;
    }
    w[n++] = s;
    while (*s) {
        if (*s == '\\' && s[1]) {
            s += 2;
        } else if (q && *s == q) {
            *s = ' ';
            q = 0;
        } else if (!q && sep(*s)) {
            *s++ = '\0';
            while (sep(*s)) {
                s++;
            }
            if (*s == '"' || *s == '\'') {
                q = *s++;
            }
            if (!*s || n == max) {
                break;
            }
            w[n++] = s;
        } else {
            s++;
        }
    }
    return n;
}

static void check_split(const char *line, size_t len)
{
    char *w[WIRE_MAX_WORDS + 1], *r[WIRE_MAX_WORDS];
    memcpy(copy, line, len + 1);
    memcpy(ref, line, len + 1);
    size_t n = wire_split(copy, w, WIRE_MAX_WORDS);
    size_t m = ref_split(ref, r, WIRE_MAX_WORDS);
    check(n <= WIRE_MAX_WORDS && n == m);
    check(n == WIRE_MAX_WORDS || w[n] == NULL);
    for (size_t i = 0; i < n; i++) {
        check(w[i] >= copy && w[i] <= copy + len);
        size_t k = strlen(w[i]);
        check(w[i] + k <= copy + len);
        check(r[i] - ref == w[i] - copy && strcmp(r[i], w[i]) == 0);
    }
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* Small generator for chunk sizes: mode from the first byte, seed from the first two. */
static size_t next_chunk(uint32_t *seed, unsigned mode)
{
    static const size_t span[] = {1, 7, 64, 1500, 16384, 40000};
    *seed = *seed * 1103515245u + 12345u;
    return 1 + (size_t)((*seed >> 8) % span[mode % 6]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 60, .update_every = 1,
                         .replication = 1, .repl_seconds = 86400, .repl_step = 600};
    RrdDb *db = rrd_db_new("parent", "00000000-0000-0000-0000-00000000000a", &cfg, NULL);
    check(db != NULL);
    RrdHost *h = rrd_host_create(db, "11111111-2222-3333-4444-555555555555", "child", &cfg);
    check(h != NULL);
    Ingest in;
    ingest_init(&in, h);
    in.peer = "10.0.0.1:40000";
    Sbuf out;
    sbuf_init(&out, 1u << 16);
    if (size > 0 && (data[0] & 1)) {
        in.repl = 1;
        in.out = &out;
    }
    WireReader rd;
    check(wire_reader_init(&rd) == 0);

    uint32_t seed = size > 1 ? (uint32_t)data[0] << 8 | data[1] : 7;
    unsigned mode = size > 0 ? data[0] : 0;
    uint64_t now = 1700000000ULL * 1000000ULL;
    size_t off = 0, pos = 0;            /* bytes fed; bytes accounted for by returned lines */
    while (off < size) {
        size_t room;
        char *p = wire_reader_space(&rd, &room);
        check(p != NULL && room > 0 && room <= WIRE_MAX_LINE);
        size_t k = next_chunk(&seed, mode);
        k = k < room ? k : room;
        k = k < size - off ? k : size - off;
        memcpy(p, data + off, k);
        wire_reader_commit(&rd, k);
        off += k;
        char *line;
        size_t len;
        int cut;
        while ((line = wire_reader_next(&rd, &len, &cut))) {
            check(len <= WIRE_MAX_LINE && line[len] == '\0');
            check(cut == (len == WIRE_MAX_LINE));
            check(pos + len <= off && memcmp(line, data + pos, len) == 0);
            pos += len;
            if (!cut) {
                check(data[pos] == '\n');
                pos++;
            }
            check_split(line, len);
            IngestStatus st = ingest_line(&in, line, len, now);
            check(terminated(in.err, sizeof(in.err)) && terminated(in.note, sizeof(in.note)));
            if (st == INGEST_OK) {
                check(in.err[0] == '\0');
            } else {
                check(st == INGEST_DISCONNECT && (in.err[0] || in.note[0]));
                ingest_reset(&in);      /* the child reconnects */
            }
            now += 250000;
        }
        check(pos + wire_reader_pending(&rd) == off);
    }
    check(in.lines >= in.updates);
    /* every queued request is a whole "REPLAY_CHART ..." line */
    check(!out.len || (out.s[out.len - 1] == '\n' && strncmp(out.s, "REPLAY_CHART \"", 14) == 0));
    sbuf_free(&out);
    ingest_reset(&in);
    wire_reader_free(&rd);
    rrd_db_free(db);
    return 0;
}
