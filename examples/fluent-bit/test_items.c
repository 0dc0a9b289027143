/*
 * Randomised test of kp_items.c, the plugin's item classifier, on its own
 * (no Fluent Bit needed): run by test_items.sh under AddressSanitizer and
 * UndefinedBehaviorSanitizer.
 *
 * The oracle is written differently on purpose: a recursive parser builds
 * each item as a tree, and the tree is judged step by step as Fluent Bit's
 * flb_event_decoder_decode_object / decode_timestamp / get_record_type do,
 * for both timestamp rules (4.2/5.0 and 5.1). Items are generated with every
 * MessagePack width for the framing arrays and the maps, timestamps that
 * look like group markers (spoofed markers), records holding the raw-text
 * member among others (tail's Path_Key), nesting around msgpack-c's limit,
 * truncated items and garbage. Every buffer is allocated at its exact size,
 * so a read past an item is caught by AddressSanitizer.
 *
 *   test_items [iterations] [seed]
 */
#include "kp_items.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NESTING 64          /* Fluent Bit's MSGPACK_EMBED_STACK_SIZE */
#define KEY "log"

static unsigned failures;

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            if (failures > 20) exit(1); \
        } \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Random numbers and a growing byte buffer                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned below(unsigned n)
{
    return (unsigned) (rnd() % n);
}

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < len) {
            cap *= 2;
        }
        b->data = realloc(b->data, cap);
        if (!b->data) {
            abort();
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void put1(struct buf *b, unsigned v)
{
    unsigned char c = (unsigned char) v;
    put(b, &c, 1);
}

static void put_be(struct buf *b, uint64_t v, unsigned width)
{
    while (width-- > 0) {
        put1(b, (unsigned) (v >> (8 * width)) & 0xff);
    }
}

/* ------------------------------------------------------------------------ */
/* MessagePack writers, every width                                          */
/* ------------------------------------------------------------------------ */

/* a container header of `n` values, in a random width that can hold it */
static void put_container(struct buf *b, int map, uint32_t n)
{
    unsigned w = below(3);

    if (w == 0 && n < 16) {
        put1(b, (map ? 0x80 : 0x90) | n);
    }
    else if (w <= 1 && n < 65536) {
        put1(b, map ? 0xde : 0xdc);
        put_be(b, n, 2);
    }
    else {
        put1(b, map ? 0xdf : 0xdd);
        put_be(b, n, 4);
    }
}

static void put_str(struct buf *b, const char *s, size_t len, int binary)
{
    unsigned w = below(4);

    if (binary) {
        w = 1 + below(3);
        if (w == 1 && len > 255) w = 2;
        put1(b, 0xc4 + (w - 1));
        put_be(b, len, 1u << (w - 1));
    }
    else if (w == 0 && len < 32) {
        put1(b, 0xa0 | (unsigned) len);
    }
    else {
        if (w == 0 || (w == 1 && len > 255)) {
            w = 2;
        }
        put1(b, 0xd9 + (w - 1));
        put_be(b, len, 1u << (w - 1));
    }
    put(b, s, len);
}

static void put_eventtime(struct buf *b, uint32_t s, uint32_t ns)
{
    if (below(4) == 0) {
        put1(b, 0xc7);          /* ext8 of size 8: the same EventTime */
        put1(b, 8);
    }
    else {
        put1(b, 0xd7);
    }
    put1(b, 0);
    put_be(b, s, 4);
    put_be(b, ns, 4);
}

static void put_f64(struct buf *b, double f)
{
    uint64_t u;

    memcpy(&u, &f, 8);
    put1(b, 0xcb);
    put_be(b, u, 8);
}

static const char *names[] = {
    "log", "lo", "logs", "Log", "payload", "iv", "filename", "action", "a", ""
};

/* a random value, at most `depth` containers deep */
static void put_value(struct buf *b, int depth)
{
    unsigned k = below(depth > 0 ? 14 : 11), i, n;
    char text[300];
    size_t len;

    switch (k) {
    case 0: put1(b, 0xc0 + (below(2) ? 2 : 0)); break;          /* nil/false */
    case 1: put1(b, below(128)); break;
    case 2: put1(b, 0xe0 | below(32)); break;
    case 3: n = below(4); put1(b, 0xcc + n); put_be(b, rnd(), 1u << n); break;
    case 4: n = below(4); put1(b, 0xd0 + n); put_be(b, rnd(), 1u << n); break;
    case 5: put1(b, 0xca); put_be(b, rnd(), 4); break;
    case 6: put_f64(b, (double) (int64_t) rnd() / 1e9); break;
    case 7: case 8:
        len = below(below(4) == 0 ? 300 : 20);
        for (i = 0; i < len; i++) {
            text[i] = (char) ('a' + below(26));
        }
        put_str(b, text, len, k == 8);
        break;
    case 9:                                                    /* fixext */
        n = below(5);
        put1(b, 0xd4 + n);
        put1(b, below(256));
        for (i = 0; i < (1u << n); i++) put1(b, below(256));
        break;
    case 10:                                                   /* ext8 */
        n = below(20);
        put1(b, 0xc7);
        put1(b, n);
        put1(b, below(256));
        for (i = 0; i < n; i++) put1(b, below(256));
        break;
    case 11: case 12:                                          /* map */
        n = below(5);
        put_container(b, 1, n);
        for (i = 0; i < n; i++) {
            const char *name = names[below(10)];
            put_str(b, name, strlen(name), below(5) == 0);
            put_value(b, depth - 1);
        }
        break;
    default:                                                   /* array */
        n = below(5);
        put_container(b, 0, n);
        for (i = 0; i < n; i++) {
            put_value(b, depth - 1);
        }
        break;
    }
}

/* `levels` nested arrays, the innermost empty or holding a value */
static void put_nest(struct buf *b, unsigned levels)
{
    unsigned i;

    for (i = 0; i + 1 < levels; i++) {
        put_container(b, 0, 1);
    }
    if (levels > 0) {
        if (below(2)) {
            put_container(b, 0, 0);
        }
        else {
            put_container(b, 0, 1);
            put1(b, 7);
        }
    }
}

static void put_timestamp(struct buf *b)
{
    static const uint32_t seconds[] = {
        0xffffffffu, 0xfffffffeu, 0xfffffffdu, 0x80000000u, 0x7fffffffu,
        0, 1, 1700000000u
    };
    static const double floats[] = {
        -1.0, -1.5, -0.5, -2.0, -2.9, -3.0, 1.7e9, 4294967295.0, 1e30
    };
    unsigned k = below(12);
    uint64_t u;

    switch (k) {
    case 0: case 1: case 2: case 3:
        put_eventtime(b, below(2) ? seconds[below(8)] : (uint32_t) rnd(),
                      below(3) ? 0 : (below(2) ? (uint32_t) rnd() : 999999999u + below(3)));
        break;
    case 4: {                                                  /* uint */
        static const uint64_t us[] = {
            0xffffffffu, 0xfffffffeu, 0x1ffffffffull, 0xffffffffffffffffull,
            0xfffffffffffffffeull, 0x8000000000000000ull, 1700000000u, 5
        };
        u = below(2) ? us[below(8)] : rnd();
        if (u < 128 && below(2)) {
            put1(b, (unsigned) u);
        }
        else {
            unsigned w = below(4);
            while (w < 3 && (u >> (8u << w)) != 0) w++;
            put1(b, 0xcc + w);
            put_be(b, u, 1u << w);
        }
        break;
    }
    case 5:                                                    /* signed */
        k = below(4);
        put1(b, 0xd0 + k);
        put_be(b, below(2) ? rnd() : (uint64_t) -1, 1u << k);
        break;
    case 6: put1(b, 0xe0 | below(32)); break;                  /* -1, -2, ... */
    case 7: put_f64(b, floats[below(9)]); break;
    case 8: {
        uint64_t nan = 0x7ff8000000000001ull;
        put1(b, 0xcb);
        put_be(b, nan, 8);
        break;
    }
    case 9: put1(b, 0xca); put_be(b, 0xbf800000u, 4); break;  /* float32 -1 */
    case 10:                                                   /* other ext */
        k = below(3);               /* fixext 4, 8 or 16, type 0 or 1 */
        put1(b, 0xd6 + k);
        put1(b, below(2));
        put_be(b, rnd(), 4u << k > 8 ? 8 : 4u << k);
        if (k == 2) put_be(b, rnd(), 8);
        break;
    default:
        put_value(b, 1);
    }
}

/* a record map; sometimes it holds the raw-text member among others */
static void put_record(struct buf *b, int depth)
{
    unsigned n = below(6), i, raw_at = below(4) == 0 ? below(n + 1) : 99;
    unsigned members = n + (raw_at != 99);

    put_container(b, 1, members);
    for (i = 0; i < members; i++) {
        if (i == raw_at) {
            put_str(b, KEY, 3, below(6) == 0);
            if (below(2)) {
                put_str(b, "{\"payload\": \"SECRET\"", 20, 0);
            }
            else {
                put_value(b, 1);
            }
            continue;
        }
        {
            const char *name = names[below(10)];
            put_str(b, name, strlen(name), below(8) == 0);
        }
        if (below(20) == 0) {
            put_nest(b, 55 + below(15));    /* around the nesting limit */
        }
        else {
            put_value(b, depth);
        }
    }
}

/* one item of a chunk: mostly events, every width, with the odd one out */
static void put_item(struct buf *b)
{
    unsigned k = below(40);

    if (k == 0) {                                   /* garbage */
        unsigned i, n = 1 + below(8);
        for (i = 0; i < n; i++) put1(b, below(256));
        return;
    }
    if (k == 1) {                                   /* not a pair */
        unsigned i, n = below(2) ? 1 : 3;
        put_container(b, 0, n);
        for (i = 0; i < n; i++) put_value(b, 2);
        return;
    }
    if (k == 2) {                                   /* a bare map */
        put_record(b, 2);
        return;
    }
    put_container(b, 0, 2);
    if (below(6) == 0) {
        put_timestamp(b);                           /* legacy [ts, record] */
    }
    else if (below(30) == 0) {
        put_container(b, 0, below(2) ? 1 : 3);      /* a wrong header */
        put_timestamp(b);
    }
    else {
        put_container(b, 0, 2);
        put_timestamp(b);
        if (below(25) == 0) {
            put_value(b, 1);                        /* metadata maybe no map */
        }
        else {
            put_record(b, 2);                       /* metadata: any map */
        }
    }
    if (below(25) == 0) {
        put_value(b, 2);                            /* record maybe no map */
    }
    else {
        put_record(b, 3);
    }
}

/* ------------------------------------------------------------------------ */
/* The oracle: a tree, judged as Fluent Bit's decoder judges it              */
/* ------------------------------------------------------------------------ */

enum otype { O_NIL, O_BOOL, O_POS, O_NEG, O_F32, O_F64, O_STR, O_BIN, O_EXT,
             O_ARRAY, O_MAP };

struct obj {
    enum otype type;
    uint64_t u;              /* O_POS, O_NEG (as bits), O_F64 (as bits) */
    int ext_type;
    const unsigned char *data;
    uint64_t size;           /* bytes of str/bin/ext, values of array/map */
    uint64_t nkids;          /* array: size, map: 2 * size (key, value) */
    struct obj *kids;
};

struct parser {
    const unsigned char *p;
    size_t len, off;
    int too_deep;
};

static void obj_free(struct obj *o)
{
    uint64_t i;

    for (i = 0; i < o->nkids; i++) obj_free(&o->kids[i]);
    free(o->kids);
    o->kids = NULL;
    o->nkids = 0;
}

static int need(struct parser *ps, uint64_t n)
{
    return ps->len - ps->off >= n;
}

static uint64_t take(struct parser *ps, unsigned width)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < width; i++) v = (v << 8) | ps->p[ps->off++];
    return v;
}

/* Parses one value; 0 ok, -1 incomplete or 0xc1. `open` counts containers
 * open around it; one more than NESTING at once marks the item too deep. */
static int parse(struct parser *ps, struct obj *o, unsigned open)
{
    unsigned char b;
    uint64_t n, i, count;
    unsigned w;

    memset(o, 0, sizeof(*o));
    if (!need(ps, 1)) return -1;
    b = ps->p[ps->off++];

    if (b <= 0x7f) { o->type = O_POS; o->u = b; return 0; }
    if (b >= 0xe0) { o->type = O_NEG; o->u = (uint64_t) (int64_t) (signed char) b; return 0; }
    if (b >= 0xa0 && b <= 0xbf) { n = b & 0x1f; goto str; }
    if (b >= 0x80 && b <= 0x9f) {
        n = b & 0x0f;
        o->type = b <= 0x8f ? O_MAP : O_ARRAY;
        goto container;
    }
    switch (b) {
    case 0xc0: o->type = O_NIL; return 0;
    case 0xc2: case 0xc3: o->type = O_BOOL; return 0;
    case 0xc4: case 0xc5: case 0xc6:
        w = 1u << (b - 0xc4);
        if (!need(ps, w)) return -1;
        n = take(ps, w);
        o->type = O_BIN;
        goto bytes;
    case 0xd9: case 0xda: case 0xdb:
        w = 1u << (b - 0xd9);
        if (!need(ps, w)) return -1;
        n = take(ps, w);
        goto str;
    case 0xc7: case 0xc8: case 0xc9:
        w = 1u << (b - 0xc7);
        if (!need(ps, w + 1)) return -1;
        n = take(ps, w);
        o->type = O_EXT;
        o->ext_type = (int) take(ps, 1);
        goto bytes;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        if (!need(ps, 1)) return -1;
        n = 1u << (b - 0xd4);
        o->type = O_EXT;
        o->ext_type = (int) take(ps, 1);
        goto bytes;
    case 0xca:
        if (!need(ps, 4)) return -1;
        take(ps, 4);
        o->type = O_F32;
        return 0;
    case 0xcb:
        if (!need(ps, 8)) return -1;
        o->type = O_F64;
        o->u = take(ps, 8);
        return 0;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        w = 1u << (b - 0xcc);
        if (!need(ps, w)) return -1;
        o->type = O_POS;
        o->u = take(ps, w);
        return 0;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int64_t v;
        w = 1u << (b - 0xd0);
        if (!need(ps, w)) return -1;
        n = take(ps, w);
        /* sign-extend */
        if (w < 8 && (n >> (8 * w - 1))) n |= ~0ull << (8 * w);
        memcpy(&v, &n, 8);
        o->type = v < 0 ? O_NEG : O_POS;
        o->u = n;
        return 0;
    }
    case 0xdc: case 0xdd: case 0xde: case 0xdf:
        w = (b == 0xdc || b == 0xde) ? 2 : 4;
        if (!need(ps, w)) return -1;
        n = take(ps, w);
        o->type = b >= 0xde ? O_MAP : O_ARRAY;
        goto container;
    default:
        return -1;   /* 0xc1 */
    }

str:
    o->type = O_STR;
bytes:
    if (!need(ps, n)) return -1;
    o->data = ps->p + ps->off;
    o->size = n;
    ps->off += n;
    return 0;

container:
    /* msgpack-c checks its stack before it looks at the count */
    if (open >= NESTING) ps->too_deep = 1;
    o->size = n;
    count = o->type == O_MAP ? 2 * n : n;
    if (count > ps->len - ps->off) return -1;     /* cannot be whole */
    o->kids = count ? calloc(count, sizeof(struct obj)) : NULL;
    o->nkids = count;
    for (i = 0; i < count; i++) {
        if (parse(ps, &o->kids[i], open + 1) != 0) {
            return -1;     /* obj_free releases what was built */
        }
    }
    return 0;
}

static int64_t wrap64(uint64_t u)
{
    int64_t v;
    memcpy(&v, &u, 8);
    return v;
}

static int64_t wrap32(uint64_t u)
{
    int32_t v;
    uint32_t low = (uint32_t) u;
    memcpy(&v, &low, 4);
    return v;
}

/* The kind Fluent Bit's decoder gives the tree. */
static enum kp_item_kind oracle(const struct obj *root, enum kp_timestamp_rules rules,
                                int unparsed_check)
{
    const struct obj *header, *ts, *meta = NULL, *body;
    int64_t sec;
    uint64_t i;

    if (root->type != O_ARRAY || root->size != 2) return KP_ITEM_INVALID;
    header = &root->kids[0];
    if (header->type == O_ARRAY) {
        if (header->size != 2) return KP_ITEM_INVALID;
        ts = &header->kids[0];
        meta = &header->kids[1];
    }
    else {
        ts = header;
    }
    if (ts->type != O_POS && ts->type != O_F64 && ts->type != O_EXT) return KP_ITEM_INVALID;
    if (meta && meta->type != O_MAP) return KP_ITEM_INVALID;
    body = &root->kids[1];
    if (body->type != O_MAP) return KP_ITEM_INVALID;

    if (ts->type == O_POS) {
        sec = rules == KP_TS_INT32_SECONDS ? wrap32(ts->u) : wrap64(ts->u);
    }
    else if (ts->type == O_F64) {
        double f;
        memcpy(&f, &ts->u, 8);
        /* out of range is undefined in the decoder's cast: refused here */
        if (f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0) {
            return KP_ITEM_INVALID;
        }
        sec = (int64_t) f;
        if (rules == KP_TS_INT32_SECONDS) sec = wrap32((uint64_t) sec);
    }
    else {
        uint32_t s, ns;
        if (ts->ext_type != 0 || ts->size != 8) return KP_ITEM_INVALID;
        s = ((uint32_t) ts->data[0] << 24) | ((uint32_t) ts->data[1] << 16) |
            ((uint32_t) ts->data[2] << 8) | ts->data[3];
        ns = ((uint32_t) ts->data[4] << 24) | ((uint32_t) ts->data[5] << 16) |
             ((uint32_t) ts->data[6] << 8) | ts->data[7];
        if (rules == KP_TS_INT32_SECONDS) {
            sec = wrap32(s);
        }
        else if (s == UINT32_MAX) {
            if (ns != 0) return KP_ITEM_INVALID;
            sec = -1;
        }
        else if (s == UINT32_MAX - 1) {
            if (ns != 0) return KP_ITEM_INVALID;
            sec = -2;
        }
        else {
            if (ns >= 1000000000u) return KP_ITEM_INVALID;
            sec = s;
        }
    }
    if (sec == -1) return KP_ITEM_GROUP_START;
    if (sec == -2) return KP_ITEM_GROUP_END;
    if (sec < 0) return KP_ITEM_INVALID;

    if (unparsed_check) {
        for (i = 0; i < body->size; i++) {
            const struct obj *k = &body->kids[2 * i];
            if ((k->type == O_STR || k->type == O_BIN) && k->size == 3 &&
                memcmp(k->data, KEY, 3) == 0) {
                return KP_ITEM_UNPARSED;
            }
        }
    }
    return KP_ITEM_EVENT;
}

/* ------------------------------------------------------------------------ */
/* Comparing                                                                 */
/* ------------------------------------------------------------------------ */

static const char *kind_name(int k)
{
    static const char *n[] = { "event", "group_start", "group_end", "unparsed", "invalid" };
    return k >= 0 && k <= 4 ? n[k] : "?";
}

static unsigned long seen[2][5];
static unsigned long seen_incomplete, seen_too_deep, items_checked, seen_plain;

static void hex(const unsigned char *p, size_t len)
{
    size_t i;
    for (i = 0; i < len && i < 96; i++) fprintf(stderr, "%02x", p[i]);
    if (len > 96) fprintf(stderr, "...(%zu bytes)", len);
    fputc('\n', stderr);
}

/* Walks a chunk item by item with kp_item_read and with the oracle. */
static void check_chunk(const unsigned char *src, size_t len)
{
    unsigned char *p = malloc(len ? len : 1);   /* exact size: ASan sees overreads */
    struct kp_item_rules rules;
    struct kp_item item;
    size_t off = 0;
    int r, ret, unparsed;

    memcpy(p, src, len);
    while (off < len) {
        struct parser ps = { p, len, off, 0 };
        struct obj root;
        int complete = parse(&ps, &root, 0) == 0;
        /* the plugin's shortcut: never a marker or a refused timestamp */
        int plain = kp_item_plain_event(p, len, off);
        int plain_kind = -1;

        seen_plain += plain;

        for (r = 0; r < 2; r++) {
            for (unparsed = 0; unparsed < 2; unparsed++) {
                rules.timestamps = r ? KP_TS_TIME_T_SECONDS : KP_TS_INT32_SECONDS;
                rules.max_nesting = NESTING;
                rules.unparsed_key = unparsed ? KEY : NULL;
                rules.unparsed_key_len = unparsed ? 3 : 0;
                ret = kp_item_read(p, len, off, &rules, &item);
                items_checked++;
                if (!complete) {
                    CHECK(ret == -1, "incomplete item read as complete (end %zu)", item.end);
                    if (ret != -1) hex(p + off, len - off);
                    seen_incomplete++;
                    continue;
                }
                CHECK(ret == 0, "whole item (%zu bytes) read as incomplete", ps.off - off);
                if (ret != 0) { hex(p + off, ps.off - off); continue; }
                CHECK(item.end == ps.off, "item end %zu, expected %zu", item.end, ps.off);
                {
                    enum kp_item_kind want = ps.too_deep ? KP_ITEM_INVALID
                                             : oracle(&root, rules.timestamps, unparsed);
                    CHECK(item.kind == want, "rules %d, unparsed check %d: kind %s (%s), expected %s",
                          r, unparsed, kind_name(item.kind), item.why ? item.why : "",
                          kind_name(want));
                    if (item.kind != want) hex(p + off, ps.off - off);
                    CHECK((item.kind == KP_ITEM_INVALID) == (item.why != NULL),
                          "a reason goes with invalid items only");
                    if (unparsed) seen[r][item.kind]++;
                    if (ps.too_deep) seen_too_deep++;
                    if (plain) {
                        CHECK(item.kind == KP_ITEM_EVENT || item.kind == KP_ITEM_UNPARSED ||
                                  (item.kind == KP_ITEM_INVALID &&
                                   (ps.too_deep || strcmp(item.why, "the record is not a map") == 0)),
                              "a plain event's head, but kind %s (%s)", kind_name(item.kind),
                              item.why ? item.why : "");
                        if (unparsed && plain_kind >= 0) {
                            CHECK((int) item.kind == plain_kind,
                                  "a plain event's head, but the rule sets disagree");
                        }
                        if (unparsed) plain_kind = (int) item.kind;
                    }
                }
            }
        }
        if (complete) {
            obj_free(&root);
            off = ps.off;
        }
        else {
            obj_free(&root);
            break;
        }
    }
    free(p);
}

/* ------------------------------------------------------------------------ */
/* Cases with a known answer (the findings of issue 11)                      */
/* ------------------------------------------------------------------------ */

static void expect(const char *name, const unsigned char *src, size_t len,
                   enum kp_timestamp_rules rules, int want)
{
    unsigned char *p = malloc(len);
    struct kp_item_rules r = { rules, NESTING, KEY, 3 };
    struct kp_item item;
    int ret;

    memcpy(p, src, len);
    ret = kp_item_read(p, len, 0, &r, &item);
    if (want < 0) {
        CHECK(ret == -1, "%s: read as a whole item", name);
    }
    else {
        CHECK(ret == 0 && item.end == len && (int) item.kind == want,
              "%s (rules %d): ret %d end %zu/%zu kind %s (%s), expected %s", name, (int) rules,
              ret, item.end, len, kind_name(item.kind), item.why ? item.why : "", kind_name(want));
    }
    free(p);
    check_chunk(src, len);   /* and the oracle agrees */
}

static void both(const char *name, struct buf *b, int want_int32, int want_time_t)
{
    expect(name, b->data, b->len, KP_TS_INT32_SECONDS, want_int32);
    expect(name, b->data, b->len, KP_TS_TIME_T_SECONDS, want_time_t);
    b->len = 0;
}

static void fixed_cases(void)
{
    struct buf b = {0};
    unsigned i;
    /* the example: metadata holding key material is an event; the
     * library strips the header */
    static const unsigned char meta_payload[] = {
        0x92, 0x92, 0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x81, 0xa7, 'p', 'a', 'y', 'l', 'o', 'a', 'd', 0xa6, 'S', 'E', 'C', 'R', 'E', 'T',
        0x81, 0xa1, 'a', 0x01
    };

    put(&b, meta_payload, sizeof(meta_payload));
    both("metadata with payload", &b, KP_ITEM_EVENT, KP_ITEM_EVENT);

    /* every prefix of it is incomplete */
    for (i = 1; i < sizeof(meta_payload); i++) {
        expect("truncated", meta_payload, i, KP_TS_TIME_T_SECONDS, -1);
    }

    /* a spoofed group start: EventTime(0xffffffff, 0) with key material */
    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 0xffffffffu, 0); put1(&b, 0x80);
    put1(&b, 0x81); put_str(&b, "payload", 7, 0); put_str(&b, "SECRET", 6, 0);
    both("spoofed group start", &b, KP_ITEM_GROUP_START, KP_ITEM_GROUP_START);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 0xfffffffeu, 0); put1(&b, 0x80); put1(&b, 0x80);
    both("group end", &b, KP_ITEM_GROUP_END, KP_ITEM_GROUP_END);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 0xffffffffu, 5); put1(&b, 0x80); put1(&b, 0x80);
    both("marker seconds with nanoseconds", &b, KP_ITEM_GROUP_START, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 0x80000000u, 0); put1(&b, 0x80); put1(&b, 0x80);
    both("EventTime in 2038", &b, KP_ITEM_INVALID, KP_ITEM_EVENT);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 1700000000u, 1000000000u); put1(&b, 0x80); put1(&b, 0x80);
    both("nanoseconds 10^9", &b, KP_ITEM_EVENT, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xce); put_be(&b, 0xffffffffu, 4); put1(&b, 0x80); put1(&b, 0x80);
    both("uint32 0xffffffff", &b, KP_ITEM_GROUP_START, KP_ITEM_EVENT);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xcf); put_be(&b, ~0ull, 8); put1(&b, 0x80); put1(&b, 0x80);
    both("uint64 max", &b, KP_ITEM_GROUP_START, KP_ITEM_GROUP_START);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xff); put1(&b, 0x80); put1(&b, 0x80);
    both("integer -1", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xd0); put1(&b, 0x05); put1(&b, 0x80); put1(&b, 0x80);
    both("int8 5", &b, KP_ITEM_EVENT, KP_ITEM_EVENT);

    put1(&b, 0x92); put1(&b, 0x92); put_f64(&b, -1.5); put1(&b, 0x80); put1(&b, 0x80);
    both("float -1.5", &b, KP_ITEM_GROUP_START, KP_ITEM_GROUP_START);

    put1(&b, 0x92); put1(&b, 0x92); put_f64(&b, -3.0); put1(&b, 0x80); put1(&b, 0x80);
    both("float -3", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xca); put_be(&b, 0x4f000000u, 4); put1(&b, 0x80); put1(&b, 0x80);
    both("float32", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put1(&b, 0xd6); put1(&b, 0); put_be(&b, 1, 4); put1(&b, 0x80); put1(&b, 0x80);
    both("EventTime of 4 bytes", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    /* 4.2.8's framing: array32, map32 */
    put1(&b, 0xdd); put_be(&b, 2, 4); put1(&b, 0xdd); put_be(&b, 2, 4);
    put1(&b, 0xd7); put1(&b, 0); put_be(&b, 1700000000u, 4); put_be(&b, 0, 4);
    put1(&b, 0xdf); put_be(&b, 0, 4);
    put1(&b, 0xdf); put_be(&b, 1, 4); put1(&b, 0xa1); put1(&b, 'a'); put1(&b, 1);
    both("array32 framing", &b, KP_ITEM_EVENT, KP_ITEM_EVENT);

    /* tail with Path_Key: the raw line and the file name */
    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 1700000000u, 0); put1(&b, 0x80);
    put1(&b, 0x82); put_str(&b, "log", 3, 0); put_str(&b, "{\"payload\":", 11, 0);
    put_str(&b, "filename", 8, 0); put_str(&b, "/var/log/kp.ndjson", 18, 0);
    both("Path_Key, raw line first", &b, KP_ITEM_UNPARSED, KP_ITEM_UNPARSED);

    put1(&b, 0xdc); put_be(&b, 2, 2); put1(&b, 0x92); put_eventtime(&b, 1700000000u, 0); put1(&b, 0x80);
    put1(&b, 0xde); put_be(&b, 2, 2); put_str(&b, "filename", 8, 0); put_str(&b, "x", 1, 0);
    put1(&b, 0xd9); put1(&b, 3); put(&b, "log", 3); put_str(&b, "raw", 3, 0);
    both("Path_Key, raw line last, str8 name", &b, KP_ITEM_UNPARSED, KP_ITEM_UNPARSED);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 1700000000u, 0); put1(&b, 0x80);
    put1(&b, 0x81); put_str(&b, "logs", 4, 0); put_str(&b, "x", 1, 0);
    both("a longer name", &b, KP_ITEM_EVENT, KP_ITEM_EVENT);

    put1(&b, 0x81); put_str(&b, "a", 1, 0); put1(&b, 1);
    both("bare map", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    put1(&b, 0x93); put1(&b, 1); put1(&b, 0x80); put1(&b, 0x80);
    both("three values", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 1, 0); put_str(&b, "m", 1, 0); put1(&b, 0x80);
    both("metadata a string", &b, KP_ITEM_INVALID, KP_ITEM_INVALID);

    /* nesting: root array + record map + k arrays; msgpack-c opens 64 */
    for (i = 61; i <= 64; i++) {
        unsigned j;
        put1(&b, 0x92); put1(&b, 0x92); put_eventtime(&b, 1, 0); put1(&b, 0x80);
        put1(&b, 0x81); put_str(&b, "n", 1, 0);
        for (j = 0; j + 1 < i; j++) put1(&b, 0x91);
        put1(&b, 0x90);
        both("nesting", &b, i <= 62 ? KP_ITEM_EVENT : KP_ITEM_INVALID,
             i <= 62 ? KP_ITEM_EVENT : KP_ITEM_INVALID);
    }

    /* a header 100,000 deep: no recursion, no stack */
    {
        unsigned char *deep;
        size_t n = 100000, len, at = 0;
        struct kp_item_rules r = { KP_TS_TIME_T_SECONDS, NESTING, KEY, 3 };
        struct kp_item item;

        len = 1 + n + 1 + 1;
        deep = malloc(len);
        deep[at++] = 0x92;                 /* [ [[[...1]]], {} ] */
        for (i = 0; i < n; i++) deep[at++] = 0x91;
        deep[at++] = 0x01;
        deep[at++] = 0x80;
        CHECK(kp_item_read(deep, len, 0, &r, &item) == 0 && item.end == len &&
              item.kind == KP_ITEM_INVALID, "100,000 deep: end %zu kind %s", item.end,
              kind_name(item.kind));
        CHECK(kp_mp_skip(deep, len, 0) == len, "kp_mp_skip of 100,000 deep");
        CHECK(kp_mp_skip(deep, len - 1, 0) == 0, "truncated 100,000 deep");
        free(deep);
    }

    /* a count that cannot fit in the bytes left fails at once */
    put1(&b, 0xdd); put_be(&b, 0xffffffffu, 4); put1(&b, 0);
    expect("array32 of 2^32-1", b.data, b.len, KP_TS_TIME_T_SECONDS, -1);
    b.len = 0;
    put1(&b, 0xc1);
    expect("reserved 0xc1", b.data, b.len, KP_TS_TIME_T_SECONDS, -1);
    free(b.data);
}

/* kp_item_plain_event on items with a known answer, each in a buffer of
 * its exact size (ASan sees any read past it). */
static void plain(const char *name, const unsigned char *src, size_t len, int want)
{
    unsigned char *p = malloc(len);

    memcpy(p, src, len);
    CHECK(kp_item_plain_event(p, len, 0) == want, "%s: plain event %d, expected %d", name,
          !want, want);
    free(p);
}

#define PLAIN(name, want, ...)                                          \
    do {                                                                \
        static const unsigned char bytes_[] = {__VA_ARGS__};            \
        plain(name, bytes_, sizeof bytes_, want);                       \
    } while (0)

static void plain_cases(void)
{
    PLAIN("EventTime, empty metadata", 1, 0x92, 0x92, 0xd7, 0, 0x65, 0x53, 0xf1, 0, 0, 0, 0, 1, 0x80, 0x80);
    PLAIN("array16 and array32 frames", 1, 0xdc, 0, 2, 0xdd, 0, 0, 0, 2, 0x01, 0x80, 0x80);
    PLAIN("[timestamp, record]", 1, 0x92, 0x01, 0x80);
    PLAIN("last second before 2038", 1, 0x92, 0x92, 0xd7, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("2038 on", 0, 0x92, 0x92, 0xd7, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("spoofed group start", 0, 0x92, 0x92, 0xd7, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("spoofed group end", 0, 0x92, 0x92, 0xd7, 0, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("integer marker -1", 0, 0x92, 0x92, 0xff, 0x80, 0x80);
    PLAIN("nanoseconds 10^9", 0, 0x92, 0x92, 0xd7, 0, 0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00, 0x80, 0x80);
    PLAIN("another extension type", 0, 0x92, 0x92, 0xd7, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("uint32 2^31", 0, 0x92, 0x92, 0xce, 0x80, 0, 0, 0, 0x80, 0x80);
    PLAIN("uint16", 1, 0x92, 0x92, 0xcd, 0x12, 0x34, 0x80, 0x80);
    PLAIN("float 1.5", 1, 0x92, 0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("float -1", 0, 0x92, 0x92, 0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0, 0x80, 0x80);
    PLAIN("float32", 0, 0x92, 0x92, 0xca, 0x3f, 0xc0, 0, 0, 0x80, 0x80);
    PLAIN("signed encoding", 0, 0x92, 0x92, 0xd0, 0x01, 0x80, 0x80);
    PLAIN("metadata not a map", 0, 0x92, 0x92, 0x01, 0x05, 0x80);
    PLAIN("header of three", 0, 0x92, 0x93, 0x01, 0x80, 0x80, 0x80);
    PLAIN("item of three", 0, 0x93, 0x01, 0x80, 0x80);
    PLAIN("a bare map", 0, 0x81, 0xa1, 'a', 0x01);
    PLAIN("cut in the EventTime", 0, 0x92, 0x92, 0xd7, 0, 0, 0);
    PLAIN("cut before the metadata", 0, 0x92, 0x92, 0xd7, 0, 0, 0, 0, 1, 0, 0, 0, 0);
    PLAIN("cut in the array32 header", 0, 0xdd, 0, 0);
    PLAIN("cut in a uint32", 0, 0x92, 0x92, 0xce, 0, 0);
}

int main(int argc, char **argv)
{
    unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    unsigned long i;
    struct buf b = {0};
    int r, k;

    if (argc > 2) {
        rng_state = strtoull(argv[2], NULL, 10) | 1;
    }
    fixed_cases();
    plain_cases();

    for (i = 0; i < iterations; i++) {
        unsigned n = 1 + below(6), j;

        b.len = 0;
        for (j = 0; j < n; j++) put_item(&b);
        if (below(4) == 0) {
            b.len = below((unsigned) b.len) + 1;   /* a truncated chunk */
        }
        check_chunk(b.data, b.len);
    }
    free(b.data);

    printf("%lu reads checked (incomplete %lu, too deep %lu)\n",
           items_checked, seen_incomplete, seen_too_deep);
    for (r = 0; r < 2; r++) {
        printf("  %s:", r ? "5.1 rules" : "4.2/5.0 rules");
        for (k = 0; k < 5; k++) printf(" %s %lu", kind_name(k), seen[r][k]);
        printf("\n");
        /* a test that never met a case proves nothing about it */
        for (k = 0; k < 5; k++) {
            CHECK(iterations < 1000 || seen[r][k] >= 50, "too few %s items generated", kind_name(k));
        }
    }
    CHECK(iterations < 1000 || (seen_incomplete >= 50 && seen_too_deep >= 50),
          "too few incomplete or too deep items generated");
    printf("  plain event heads %lu\n", seen_plain);
    CHECK(iterations < 1000 || seen_plain * 5 >= iterations, "too few plain event heads generated");
    if (failures) {
        printf("FAIL: %u checks failed\n", failures);
        return 1;
    }
    printf("PASS\n");
    return 0;
}
