/*
 * kp_items: item boundaries and item kinds of a Fluent Bit log chunk.
 * See kp_items.h. Every read is bounded by the length given; the items come
 * from untrusted logs and network peers.
 */
#include "kp_items.h"

#include <string.h>

/* Open containers tracked one by one; Fluent Bit's decoder allows 64. */
#define KP_NESTING_CAP 256

enum { MP_SCALAR = 0, MP_CONTAINER = 1, MP_BAD = -1 };

static int read_be(const unsigned char *p, size_t len, size_t *off,
                   size_t width, uint64_t *val)
{
    size_t i;

    if (*off > len || len - *off < width) {
        return -1;
    }
    *val = 0;
    for (i = 0; i < width; i++) {
        *val = (*val << 8) | p[*off + i];
    }
    *off += width;
    return 0;
}

/*
 * The header of the value at p[*off]: moves *off past it and tells how many
 * bytes of data follow it (`payload`) and how many values it contains
 * (`children`, two per map member). MP_BAD when the bytes end inside the
 * header or the type is the reserved 0xc1.
 */
/* Inlined into the walks: a call per value costs more than the header. */
#if defined(__GNUC__)
#define KP_INLINE static inline __attribute__((always_inline))
#else
#define KP_INLINE static inline
#endif

KP_INLINE int mp_head(const unsigned char *p, size_t len, size_t *off,
                      uint64_t *payload, uint64_t *children)
{
    unsigned char b;
    uint64_t n = 0;

    if (*off >= len) {
        return MP_BAD;
    }
    b = p[(*off)++];
    *payload = 0;
    *children = 0;

    if (b <= 0x7f || b >= 0xe0) {                 /* fixint */
        return MP_SCALAR;
    }
    if (b <= 0x8f) {                              /* fixmap */
        *children = 2 * (uint64_t) (b & 0x0f);
        return MP_CONTAINER;
    }
    if (b <= 0x9f) {                              /* fixarray */
        *children = b & 0x0f;
        return MP_CONTAINER;
    }
    if (b <= 0xbf) {                              /* fixstr */
        *payload = b & 0x1f;
        return MP_SCALAR;
    }
    switch (b) {
    case 0xc0: case 0xc2: case 0xc3:              /* nil, false, true */
        return MP_SCALAR;
    case 0xc4: case 0xd9:                         /* bin8, str8 */
        return read_be(p, len, off, 1, payload) == 0 ? MP_SCALAR : MP_BAD;
    case 0xc5: case 0xda:
        return read_be(p, len, off, 2, payload) == 0 ? MP_SCALAR : MP_BAD;
    case 0xc6: case 0xdb:
        return read_be(p, len, off, 4, payload) == 0 ? MP_SCALAR : MP_BAD;
    case 0xc7: case 0xc8: case 0xc9:              /* ext8/16/32: + type byte */
        if (read_be(p, len, off, (size_t) 1 << (b - 0xc7), payload) != 0) {
            return MP_BAD;
        }
        *payload += 1;
        return MP_SCALAR;
    case 0xca: case 0xce: case 0xd2: *payload = 4; return MP_SCALAR;
    case 0xcb: case 0xcf: case 0xd3: *payload = 8; return MP_SCALAR;
    case 0xcc: case 0xd0: *payload = 1; return MP_SCALAR;
    case 0xcd: case 0xd1: *payload = 2; return MP_SCALAR;
    case 0xd4: *payload = 2; return MP_SCALAR;   /* fixext: type + data */
    case 0xd5: *payload = 3; return MP_SCALAR;
    case 0xd6: *payload = 5; return MP_SCALAR;
    case 0xd7: *payload = 9; return MP_SCALAR;
    case 0xd8: *payload = 17; return MP_SCALAR;
    case 0xdc: case 0xde:                         /* array16, map16 */
        if (read_be(p, len, off, 2, &n) != 0) {
            return MP_BAD;
        }
        *children = b == 0xde ? 2 * n : n;
        return MP_CONTAINER;
    case 0xdd: case 0xdf:                         /* array32, map32 */
        if (read_be(p, len, off, 4, &n) != 0) {
            return MP_BAD;
        }
        *children = b == 0xdf ? 2 * n : n;
        return MP_CONTAINER;
    default:                                      /* 0xc1 */
        return MP_BAD;
    }
}

/* Skips `owed` consecutive values from `off`; 0 when the bytes end first. */
static size_t skip_values(const unsigned char *p, size_t len, size_t off,
                          uint64_t owed)
{
    uint64_t payload, children;

    while (owed > 0) {
        /* every value still owed takes at least one byte */
        if (off >= len || owed > len - off) {
            return 0;
        }
        if (mp_head(p, len, &off, &payload, &children) == MP_BAD ||
            len - off < payload) {
            return 0;
        }
        off += (size_t) payload;
        owed = owed - 1 + children;
    }
    return off;
}

size_t kp_mp_skip(const unsigned char *p, size_t len, size_t off)
{
    return skip_values(p, len, off, 1);
}

static int is_map(unsigned char b)
{
    return (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
}

static int is_array(unsigned char b)
{
    return (b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd;
}

static int is_name(unsigned char b)
{
    return (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb) || (b >= 0xc4 && b <= 0xc6);
}

/*
 * kp_mp_skip of one item that also tells, in the same walk:
 * - whether it opens more than `max_nesting` containers at once, which
 *   msgpack-c (and so Fluent Bit's decoder) refuses, an empty one included;
 * - whether, when it is an array of two values whose second is a map (the
 *   record), that map has a member named `key` (a string or binary name).
 */
static size_t skip_item(const unsigned char *p, size_t len, size_t off,
                        unsigned max_nesting, const char *key, size_t klen,
                        int *too_deep, int *has_key)
{
    uint64_t left[KP_NESTING_CAP];   /* values left in each open container */
    unsigned depth = 0;
    int record = 0;                  /* open container 1 is the record map */
    uint64_t owed = 1, payload, children;
    unsigned char b;
    int kind, at_name;

    *too_deep = 0;
    *has_key = 0;
    if (max_nesting > KP_NESTING_CAP) {
        max_nesting = KP_NESTING_CAP;
    }
    for (;;) {
        if (off >= len || owed > len - off) {
            return 0;
        }
        b = p[off];
        if (b >= 0xa0 && b <= 0xbf) {
            /* a short string, most values and names: read here */
            off++;
            payload = b & 0x1f;
            children = 0;
            kind = MP_SCALAR;
        }
        else {
            kind = mp_head(p, len, &off, &payload, &children);
        }
        if (kind == MP_BAD || len - off < payload) {
            return 0;
        }
        /* a name of the record's members: an even number of values left */
        at_name = record && depth == 2 && left[1] % 2 == 0;
        if (at_name && klen > 0 && is_name(b) && payload == klen &&
            memcmp(p + off, key, klen) == 0) {
            *has_key = 1;
        }
        off += (size_t) payload;
        owed = owed - 1 + children;
        if (kind == MP_CONTAINER) {
            if (depth >= max_nesting) {
                *too_deep = 1;
                return skip_values(p, len, off, owed);
            }
            if (children > 0) {
                /* the root's last value, a map: the record if the root
                 * is a [header, record] pair (kp_item_read checks that) */
                if (depth == 1 && left[0] == 1 && is_map(b)) {
                    record = 1;
                }
                left[depth++] = children;
                continue;
            }
        }
        /* a value is complete, and with it maybe the containers it ends */
        while (depth > 0 && --left[depth - 1] == 0) {
            depth--;
        }
        if (depth == 0) {
            return off;
        }
    }
}

/* Reads an array header of any width at p[*at]; -1 if it is not one. */
static int read_array(const unsigned char *p, size_t end, size_t *at, uint64_t *n)
{
    unsigned char b = p[*at];

    if (b >= 0x90 && b <= 0x9f) {
        *n = b & 0x0f;
        *at += 1;
        return 0;
    }
    if (b == 0xdc || b == 0xdd) {
        *at += 1;
        return read_be(p, end, at, b == 0xdc ? 2 : 4, n);
    }
    return -1;
}

static uint32_t be32(const unsigned char *q)
{
    return ((uint32_t) q[0] << 24) | ((uint32_t) q[1] << 16) |
           ((uint32_t) q[2] << 8) | (uint32_t) q[3];
}

/* Two's complement readings, written out: C99 leaves the casts to the
 * implementation. */
static int64_t as_int64(uint64_t u)
{
    return u <= (uint64_t) INT64_MAX ? (int64_t) u : -(int64_t) (~u) - 1;
}

static int64_t as_int32(uint64_t u)
{
    uint32_t low = (uint32_t) (u & 0xffffffffu);

    return low <= 0x7fffffffu ? (int64_t) low : -(int64_t) (0xffffffffu - low) - 1;
}

/*
 * The seconds the decoder reads from the timestamp at p[at], as a signed
 * value, or the reason it refuses the timestamp.
 */
static const char *timestamp_seconds(const unsigned char *p, size_t end, size_t at,
                                     enum kp_timestamp_rules rules, int64_t *sec)
{
    unsigned char b = p[at];
    size_t q = at + 1;
    uint64_t u = 0, size = 0;
    uint32_t s, ns;
    double f;
    const unsigned char *ext;

    if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) {
        /* msgpack-c: a positive integer */
        if (b >= 0xcc) {
            read_be(p, end, &q, (size_t) 1 << (b - 0xcc), &u);
        }
        else {
            u = b;
        }
        *sec = rules == KP_TS_INT32_SECONDS ? as_int32(u) : as_int64(u);
        return NULL;
    }
    if (b >= 0xd0 && b <= 0xd3) {
        /* signed encodings: msgpack-c calls a value >= 0 positive */
        size_t width = (size_t) 1 << (b - 0xd0);

        read_be(p, end, &q, width, &u);
        if (u >> (8 * width - 1)) {
            return "the timestamp is a negative integer";
        }
        *sec = rules == KP_TS_INT32_SECONDS ? as_int32(u) : as_int64(u);
        return NULL;
    }
    if (b >= 0xe0) {
        return "the timestamp is a negative integer";
    }
    if (b == 0xca) {
        return "the timestamp is a float32 (the decoder takes float64 only)";
    }
    if (b == 0xcb) {
        read_be(p, end, &q, 8, &u);
        memcpy(&f, &u, sizeof(f));
        /* the decoder converts with a plain cast, undefined out of range */
        if (f != f || !(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) {
            return "the timestamp is a float out of range";
        }
        *sec = rules == KP_TS_INT32_SECONDS ? as_int32((uint64_t) (int64_t) f)
                                            : (int64_t) f;
        return NULL;
    }
    if (b >= 0xd4 && b <= 0xd8) {
        size = (uint64_t) 1 << (b - 0xd4);
    }
    else if (b >= 0xc7 && b <= 0xc9) {
        read_be(p, end, &q, (size_t) 1 << (b - 0xc7), &size);
    }
    else {
        return "the timestamp is not a number or an EventTime";
    }
    if (p[q] != 0 || size != 8) {
        return "the timestamp is an extension other than EventTime";
    }
    ext = p + q + 1;
    s = be32(ext);
    ns = be32(ext + 4);
    if (rules == KP_TS_INT32_SECONDS) {
        *sec = as_int32(s);
        return NULL;
    }
    if (s == 0xffffffffu || s == 0xfffffffeu) {
        if (ns != 0) {
            return "a group marker's EventTime has nanoseconds";
        }
        *sec = s == 0xffffffffu ? -1 : -2;
        return NULL;
    }
    if (ns >= 1000000000u) {
        return "the EventTime nanoseconds are 10^9 or more";
    }
    *sec = s;
    return NULL;
}

/* An array header of any width holding two values, at p[*at] within len. */
static int pair_at(const unsigned char *p, size_t len, size_t *at)
{
    uint64_t n;

    if (*at >= len || !is_array(p[*at])) {
        return 0;
    }
    return read_array(p, len, at, &n) == 0 && n == 2;
}

int kp_item_plain_event(const unsigned char *p, size_t len, size_t off)
{
    size_t at = off, q;
    uint64_t u;
    unsigned char b;
    double f;
    int nested;

    if (!pair_at(p, len, &at) || at >= len) {
        return 0;
    }
    /* [[timestamp, metadata], record] or [timestamp, record] */
    nested = is_array(p[at]);
    if (nested && !pair_at(p, len, &at)) {
        return 0;
    }
    if (at >= len) {
        return 0;
    }
    b = p[at];
    q = at + 1;
    if (b <= 0x7f) {
        /* a positive fixint */
    }
    else if (b >= 0xcc && b <= 0xce) {
        /* uint8/16/32: msgpack-c calls them positive whatever the rules */
        if (read_be(p, len, &q, (size_t) 1 << (b - 0xcc), &u) != 0 || u > 0x7fffffffu) {
            return 0;
        }
    }
    else if (b == 0xcb) {
        if (read_be(p, len, &q, 8, &u) != 0) {
            return 0;
        }
        memcpy(&f, &u, sizeof(f));
        if (!(f >= 0.0 && f < 2147483648.0)) {
            return 0;
        }
    }
    else if (b == 0xd7) {
        /* fixext8 of type 0: EventTime, seconds and nanoseconds */
        if (len - q < 9 || p[q] != 0 || p[q + 1] >= 0x80 ||
            be32(p + q + 5) >= 1000000000u) {
            return 0;
        }
        q += 9;
    }
    else {
        return 0;
    }
    /* the metadata must be a map; the record's kind is kpaudit's to check */
    return !nested || (q < len && is_map(p[q]));
}

static int invalid(struct kp_item *item, const char *why)
{
    item->kind = KP_ITEM_INVALID;
    item->why = why;
    return 0;
}

int kp_item_read(const unsigned char *p, size_t len, size_t off,
                 const struct kp_item_rules *rules, struct kp_item *item)
{
    size_t end, at, header, ts, meta = 0, body;
    uint64_t n;
    int64_t sec;
    int too_deep, has_key;
    const char *why;

    end = skip_item(p, len, off, rules->max_nesting,
                    rules->unparsed_key ? rules->unparsed_key : "",
                    rules->unparsed_key ? rules->unparsed_key_len : 0,
                    &too_deep, &has_key);
    if (end == 0) {
        return -1;
    }
    item->end = end;
    item->why = NULL;
    item->kind = KP_ITEM_EVENT;
    if (too_deep) {
        return invalid(item, "nested deeper than Fluent Bit's decoder reads");
    }

    /* From here on every value lies whole inside [off, end). The checks
     * of flb_event_decoder_decode_object and decode_timestamp: */
    at = off;
    if (read_array(p, end, &at, &n) != 0) {
        return invalid(item, "the item is not an array");
    }
    if (n != 2) {
        return invalid(item, "the item is not a [header, record] pair");
    }
    header = at;
    ts = header;
    if (is_array(p[header])) {
        if (read_array(p, end, &ts, &n) != 0 || n != 2) {
            return invalid(item, "the header is not a [timestamp, metadata] pair");
        }
        meta = kp_mp_skip(p, end, ts);
    }
    body = kp_mp_skip(p, end, header);

    if (meta != 0 && !is_map(p[meta])) {
        return invalid(item, "the metadata is not a map");
    }
    if (!is_map(p[body])) {
        return invalid(item, "the record is not a map");
    }
    why = timestamp_seconds(p, end, ts, rules->timestamps, &sec);
    if (why) {
        return invalid(item, why);
    }

    /* flb_log_event_decoder_get_record_type */
    if (sec == -1) {
        item->kind = KP_ITEM_GROUP_START;
        return 0;
    }
    if (sec == -2) {
        item->kind = KP_ITEM_GROUP_END;
        return 0;
    }
    if (sec < 0) {
        return invalid(item, "a negative timestamp: Fluent Bit skips the record");
    }

    if (has_key) {
        item->kind = KP_ITEM_UNPARSED;
    }
    return 0;
}
