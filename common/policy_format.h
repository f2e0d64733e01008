/*
** policy_format.h - THE contract between streamc (writer) and the runtime (reader): the
** binary policy blob, format 1.0. docs/policy-format.md explains every field and rule; this
** header is the only definition in code. Little-endian; every table 8-byte aligned; every
** reference an offset, so the file is used in place from a read-only mmap.
**
** File  = PolicyHeader | body ... | [PolicySig]        (signature only when POLICY_SIGNED)
** Body  = bytes [0, body_size), checksummed with XXH3-64 (checksum field taken as zero);
**         holds the header, the section table and the sections.
*/
#ifndef STREAMC_POLICY_FORMAT_H
#define STREAMC_POLICY_FORMAT_H

#include <stdint.h>

#define POLICY_MAGIC "NDSTRPOL"          /* 8 bytes, no NUL */
#define POLICY_VERSION_MAJOR 1           /* a reader refuses any other major */
#define POLICY_VERSION_MINOR 0           /* a reader accepts a newer minor, skipping unknown sections */
#define POLICY_ALIGN 8

enum { POLICY_SIGNED = 1 };

typedef struct PolicyHeader {            /* 64 bytes at offset 0 */
    char magic[8];
    uint16_t version_major, version_minor;
    uint32_t header_size;                /* sizeof(PolicyHeader) */
    uint64_t file_size;                  /* the whole file */
    uint64_t body_size;                  /* bytes covered by the checksum (and the signature) */
    uint64_t checksum;                   /* XXH3-64 of [0, body_size) with this field zero */
    uint32_t schema_hash;                /* of the key table the key ids index (schemagen) */
    uint32_t flags;                      /* POLICY_SIGNED */
    uint32_t nsections;
    uint32_t sections_off;               /* PolicySection[nsections], sorted by id */
    uint32_t reserved[2];                /* zero */
} PolicyHeader;

typedef struct PolicySection {           /* 16 bytes */
    uint32_t id;                         /* POLICY_SEC_* */
    uint32_t off, size;                  /* within the body, 8-aligned, no overlaps */
    uint32_t count;                      /* records (tables) or bytes (areas) */
} PolicySection;

enum {
    POLICY_SEC_STRINGS = 1,              /* bytes; every string is NUL-terminated */
    POLICY_SEC_NODE = 2,                 /* PolicyNode[1] */
    POLICY_SEC_SETTINGS = 3,             /* PolicySetting[count] */
    POLICY_SEC_APIKEYS = 4,              /* PolicyKey[count], sorted by (bin, text) */
    POLICY_SEC_MACHINES = 5,             /* PolicyKey[count], sorted by (bin, text) */
    POLICY_SEC_PROGRAMS = 6,             /* area of compiled simple patterns (pattern_prog.h) */
    POLICY_SEC_DESTS = 7,                /* PolicyDest[count] */
    POLICY_SEC_LISTENERS = 8,            /* PolicyListener[count] */
    POLICY_SEC_LINES = 9,                /* u32[settings count]: source line of each setting;
                                            absent in stripped policies */
    POLICY_SEC_KEYINDEX = 10,            /* PolicyKeyIndex + u32 slots: hash index of both key
                                            tables (optional: readers fall back to bsearch) */
    POLICY_SEC__LAST = 10,
    POLICY_SEC__REQUIRED_MAX = 8         /* ids 1..8 must be present */
};

typedef struct PolicyStr {               /* a string in POLICY_SEC_STRINGS */
    uint32_t off, len;                   /* z[len] == 0 */
} PolicyStr;

/* Where an effective value came from (explain, dump). */
enum {
    ORIGIN_DEFAULT = 0,                  /* Netdata's built-in default */
    ORIGIN_NETDATA = 1,                  /* netdata.conf */
    ORIGIN_STREAM = 2,                   /* stream.conf [stream] */
    ORIGIN_APIKEY = 3,                   /* stream.conf API-key section */
    ORIGIN_MACHINE = 4,                  /* stream.conf machine-GUID section */
    ORIGIN_COMPUTED = 5,                 /* a default Netdata computes on the target machine */
    ORIGIN__MAX = 5
};

/* Payload kind of a setting. */
enum {
    VAL_INT = 1,                         /* num */
    VAL_BOOL = 2,                        /* num 0/1 */
    VAL_BOOL3 = 3,                       /* num 0 no, 1 yes, 2 auto */
    VAL_STR = 4,                         /* text only */
    VAL_MEMMODE = 5,                     /* num = POLICY_MODE_* */
    VAL_PATTERN = 6,                     /* aux = (offset, size) in PROGRAMS; size 0 = no pattern */
    VAL_DEST = 7,                        /* aux = (first, count) in DESTS; num = 1 if ':SSL' */
    VAL_BIND = 8,                        /* aux = (first, count) in LISTENERS */
    VAL__MAX = 8
};

enum { POLICY_MODE_NONE, POLICY_MODE_RAM, POLICY_MODE_MAP, POLICY_MODE_SAVE, POLICY_MODE_ALLOC,
       POLICY_MODE_DBENGINE };

typedef struct PolicySetting {           /* 32 bytes */
    uint16_t key;                        /* index of the schema row in row order */
    uint8_t origin;                      /* ORIGIN_* */
    uint8_t vtype;                       /* VAL_* */
    uint32_t reserved;                   /* zero */
    int64_t num;
    PolicyStr text;                      /* canonical text, as dump prints it */
    uint32_t aux_off, aux_len;           /* see VAL_* */
} PolicySetting;

enum {
    NODE_HAS_GUID = 1,
    NODE_HAS_STREAM_CONF = 2,
    NODE_HAS_NETDATA_CONF = 4,
    NODE_SENDER_ENABLED = 8,             /* [stream] enabled after Netdata's "missing info" check */
    NODE_SENDER_TLS = 16,                /* [stream] destination had ':SSL' */
};

typedef struct PolicyNode {              /* 56 bytes */
    uint8_t machine_guid[16];            /* lower-case GUID of this node when known */
    uint32_t flags;                      /* NODE_* */
    uint32_t settings_first, settings_count;   /* global settings: [stream] + netdata.conf */
    PolicyStr hostname;                  /* [global] hostname when set, else empty */
    uint32_t reserved;
    PolicyStr stream_file, netdata_file; /* base names the lines refer to */
} PolicyNode;

enum {
    KEY_TYPE_OK = 1,                     /* `type` reads exactly as this table's kind */
    KEY_ENABLED = 2,                     /* effective `enabled` */
};

typedef struct PolicyKey {               /* 48 bytes: an API-key or machine-GUID section */
    uint8_t bin[16];                     /* the GUID as 16 bytes */
    PolicyStr text;                      /* the section name exactly as written (case kept) */
    uint32_t settings_first, settings_count;   /* sorted by key id */
    uint32_t line;                       /* the section header's line, 0 in stripped policies */
    uint32_t flags;                      /* KEY_* */
    uint32_t upper;                      /* bit i: hex digit i of the name is upper case; with
                                            bin it gives the exact text without reading it */
    uint32_t reserved;                   /* zero */
} PolicyKey;

typedef struct PolicyDest {              /* 40 bytes: one parsed destination */
    uint32_t proto;                      /* 0 tcp, 1 udp, 2 unix (DestProto) */
    uint32_t bracketed;
    PolicyStr entry, host, iface, port;  /* port empty = default port */
} PolicyDest;

typedef struct PolicyListener {          /* 40 bytes: one [web] bind to entry */
    uint32_t proto;                      /* 0 tcp, 1 udp, 2 unix */
    uint32_t acl;                        /* BIND_* permission bits */
    uint32_t ssl;                        /* 0 default, 1 optional, 2 force */
    uint32_t wildcard;
    PolicyStr host, port;                /* port empty = [web] default port */
    uint32_t reserved[2];
} PolicyListener;

/* The key index: open addressing, linear probing, one PolicyKeySlot per slot; rec = record
   index + 1, 0 = empty. A key's home slot is policy_key_hash(bin) & (cap - 1) (policy_view.h).
   Each cap is 0 for an empty table, else a power of two larger than the table, so every probe
   ends at an empty slot. Followed by PolicyKeySlot api_slots[api_cap] then
   machine_slots[machine_cap]. A slot repeats its record's bin and case mask, so a lookup
   touches one slot and no record. */
typedef struct PolicyKeyIndex {          /* 8 bytes */
    uint32_t api_cap, machine_cap;
} PolicyKeyIndex;

typedef struct PolicyKeySlot {           /* 24 bytes */
    uint8_t bin[16];
    uint32_t rec;
    uint32_t upper;
} PolicyKeySlot;

#define POLICY_SIG_MAGIC "NDSIG001"
typedef struct PolicySig {               /* 80 bytes after the body when POLICY_SIGNED */
    char magic[8];
    uint32_t algorithm;                  /* 1 = Ed25519 over body bytes [0, body_size) */
    uint32_t len;                        /* 64 */
    uint8_t sig[64];
} PolicySig;

_Static_assert(sizeof(PolicyHeader) == 64, "PolicyHeader is 64 bytes");
_Static_assert(sizeof(PolicySection) == 16, "PolicySection is 16 bytes");
_Static_assert(sizeof(PolicySetting) == 32, "PolicySetting is 32 bytes");
_Static_assert(sizeof(PolicyNode) == 56, "PolicyNode is 56 bytes");
_Static_assert(sizeof(PolicyKey) == 48, "PolicyKey is 48 bytes");
_Static_assert(sizeof(PolicyDest) == 40, "PolicyDest is 40 bytes");
_Static_assert(sizeof(PolicyListener) == 40, "PolicyListener is 40 bytes");
_Static_assert(sizeof(PolicySig) == 80, "PolicySig is 80 bytes");
_Static_assert(sizeof(PolicyKeyIndex) == 8, "PolicyKeyIndex is 8 bytes");
_Static_assert(sizeof(PolicyKeySlot) == 24, "PolicyKeySlot is 24 bytes");

#endif
