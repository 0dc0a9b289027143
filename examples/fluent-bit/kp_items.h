/*
 * kp_items: what one MessagePack item of a Fluent Bit log chunk is, decided
 * the way Fluent Bit's own log event decoder decides it
 * (src/flb_log_event_decoder.c: flb_event_decoder_decode_object,
 * flb_log_event_decoder_decode_timestamp, flb_log_event_decoder_get_record_type,
 * and msgpack-c's nesting limit).
 *
 * Self-contained C99 (no Fluent Bit header), so that it can be compiled and
 * tested on its own; the plugin includes it.
 */
#ifndef KP_ITEMS_H
#define KP_ITEMS_H

#include <stddef.h>
#include <stdint.h>

/*
 * How the decoder turns a timestamp into seconds, which decides whether an
 * item is a group marker (seconds -1 / -2), an event (>= 0) or a record the
 * decoder skips (any other negative value).
 */
enum kp_timestamp_rules {
    /* Fluent Bit 4.2 and 5.0: the seconds are cast to int32_t, so an
     * EventTime with seconds 0xffffffff / 0xfffffffe is a marker whatever
     * its nanoseconds, and seconds >= 0x80000000 (2038 on) are skipped. */
    KP_TS_INT32_SECONDS,
    /* Fluent Bit 5.1: EventTime seconds are unsigned; only 0xffffffff /
     * 0xfffffffe with 0 ns are markers (other nanoseconds are an error), and
     * nanoseconds >= 10^9 are an error. Integers and floats keep 64 bits. */
    KP_TS_TIME_T_SECONDS
};

struct kp_item_rules {
    enum kp_timestamp_rules timestamps;
    /* containers msgpack-c opens at once before it fails: Fluent Bit builds
     * it with MSGPACK_EMBED_STACK_SIZE=64 */
    unsigned max_nesting;
    /* a record holding a member with this name (a string or binary key) is
     * a line its parser could not read; NULL or length 0 turns it off */
    const char *unparsed_key;
    size_t unparsed_key_len;
};

enum kp_item_kind {
    KP_ITEM_EVENT,        /* a log event: for kpaudit */
    KP_ITEM_GROUP_START,  /* group markers: scanned, never transformed */
    KP_ITEM_GROUP_END,
    KP_ITEM_UNPARSED,     /* the record holds the parser's raw-text member */
    KP_ITEM_INVALID       /* Fluent Bit's decoder would stop at it or skip it */
};

struct kp_item {
    enum kp_item_kind kind;
    size_t end;          /* offset just past the item */
    const char *why;     /* KP_ITEM_INVALID: what is wrong (static text) */
};

/*
 * The offset just past the MessagePack value at `off`, or 0 when the bytes
 * end first or hold the reserved type 0xc1. No recursion: nesting depth
 * costs no stack.
 */
size_t kp_mp_skip(const unsigned char *p, size_t len, size_t off);

/*
 * Reads the item at p[off] (off < len). Returns 0 with `item` filled, or -1
 * when the bytes from `off` on do not form one whole MessagePack value
 * (nothing after `off` can then be split into items either).
 */
int kp_item_read(const unsigned char *p, size_t len, size_t off,
                 const struct kp_item_rules *rules, struct kp_item *item);

/*
 * Whether the item at p[off] (off < len) opens as an ordinary event under
 * every rule set above: a [header, record] pair (arrays of any width) whose
 * header is [timestamp, metadata map] or a bare timestamp, and whose
 * timestamp is an EventTime, a positive integer or a float64 within 1970 to
 * 2038 (seconds below 2^31, nanoseconds below 10^9). Reads only those first
 * bytes, within `len`; says nothing of the rest of the item (that it is
 * whole, not nested too deep, a map of a record without the unparsed-line
 * member). When it holds, kp_item_read's kind is KP_ITEM_EVENT,
 * KP_ITEM_UNPARSED or KP_ITEM_INVALID for a reason found past those bytes,
 * never a group marker or a timestamp refused; the plugin then lets kpaudit
 * read the item first (kpaudit_transform_msgpack_next tells the rest).
 */
int kp_item_plain_event(const unsigned char *p, size_t len, size_t off);

#endif
