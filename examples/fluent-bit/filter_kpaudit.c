/*
 * filter_kpaudit: a Fluent Bit filter that runs Key Protect activity events
 * through kpaudit (severity, key-material stripping, routing).
 *
 * Loaded at run time: fluent-bit -e ./flb-filter_kpaudit.so -c kpaudit.conf
 *
 * Two ways to hand the route on:
 *   tag_prefix   each record is re-emitted (through an in_emitter instance)
 *                under <tag_prefix><route>, so outputs match on the tag;
 *                the originals are dropped.
 *   route_field  the tag stays; the route is written into the record and
 *                the records come back in their original order.
 *
 * Records that kpaudit rejects, that a parser left as plain text, or bytes
 * that are not whole MessagePack items are never forwarded: they become a
 * small dead letter ({"error","message","tag","bytes"}) under
 * dead_letter_tag, or are only counted when it is not set.
 *
 * This file is glue only; every decision about an event is kpaudit's.
 */

#include <fluent-bit/flb_info.h>
#include <fluent-bit/flb_filter.h>
#include <fluent-bit/flb_filter_plugin.h>
#include <fluent-bit/flb_input.h>
#include <fluent-bit/flb_storage.h>
#include <fluent-bit/flb_config_map.h>
#include <fluent-bit/flb_pack.h>
#include <fluent-bit/flb_file.h>
#include <fluent-bit/flb_sds.h>
#include <fluent-bit/flb_mem.h>
#include <fluent-bit/flb_log_event_encoder.h>
#include <msgpack.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kpaudit.h"

/* Exported by the in_emitter plugin, which has no public header. */
int in_emitter_add_record(const char *tag, int tag_len,
                          const char *buf_data, size_t buf_size,
                          struct flb_input_instance *in,
                          struct flb_input_instance *i_ins);

#define KP_SEVERITIES 3

/* What one MessagePack item of a chunk is. */
enum kp_kind {
    KP_EVENT,      /* a record for kpaudit */
    KP_GROUP_START,/* group markers: passed through, never transformed */
    KP_GROUP_END,
    KP_UNPARSED    /* only the parser's raw-text member: never forwarded */
};

/* kpaudit objects that are used by one thread at a time. */
struct kp_work {
    kpaudit_batch *batch;
    kpaudit_output *out;
    kpaudit_error *err;
};

struct kp_ctx {
    /* properties (config map) */
    flb_sds_t config;
    flb_sds_t config_file;
    flb_sds_t tag_prefix;
    flb_sds_t route_field;
    flb_sds_t dead_letter_tag;
    flb_sds_t unparsed_key;
    flb_sds_t emitter_name;
    size_t emitter_mem_buf_limit;

    struct flb_filter_instance *ins;
    struct flb_config *fconfig;
    struct flb_input_instance *emitter;

    kpaudit_transform *t;
    size_t n_routes;
    flb_sds_t *route_tags;           /* tag_prefix + route name */

    /* length of unparsed_key, 0 when the check is off */
    size_t unparsed_key_len;

    /*
     * Fluent Bit calls cb_filter from the thread of the input that produced
     * the chunk, so two threaded inputs can be in here at once: the shared
     * work objects are taken with trylock, and a caller that loses the race
     * makes its own for that chunk instead of waiting.
     */
    pthread_mutex_t work_lock;
    struct kp_work work;

    /* counters, updated with atomics for the same reason */
    uint64_t *route_events;
    uint64_t severity[KP_SEVERITIES];
    uint64_t redacted;
    uint64_t rejected;
    uint64_t unparsed;
    uint64_t undecodable;
    uint64_t dead_letters;
    uint64_t emit_failed;
};

static void count(uint64_t *c, uint64_t n)
{
    if (n > 0) {
        __atomic_fetch_add(c, n, __ATOMIC_RELAXED);
    }
}

static uint64_t counted(uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------------ */
/* MessagePack item boundaries                                               */
/* ------------------------------------------------------------------------ */

static int read_be(const unsigned char *p, size_t len, size_t *off,
                   size_t width, uint64_t *val)
{
    size_t i;

    if (len - *off < width) {
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
 * The offset just past the value that starts at `off`, or 0 when the bytes
 * end first or hold the reserved type 0xc1. Iterative with one counter of
 * values still owed, so nesting depth costs no stack: the records come from
 * untrusted logs.
 */
static size_t mp_skip(const unsigned char *p, size_t len, size_t off)
{
    uint64_t pending = 1;
    uint64_t n;
    uint64_t skip;
    unsigned char b;

    while (pending > 0) {
        /* every value owed takes at least one byte */
        if (off >= len || pending > len - off) {
            return 0;
        }
        b = p[off++];
        pending--;
        skip = 0;
        n = 0;

        if (b <= 0x7f || b >= 0xe0) {
            continue;
        }
        else if (b <= 0x8f) {
            pending += 2 * (uint64_t) (b & 0x0f);
            continue;
        }
        else if (b <= 0x9f) {
            pending += b & 0x0f;
            continue;
        }
        else if (b <= 0xbf) {
            skip = b & 0x1f;
        }
        else {
            switch (b) {
            case 0xc0: case 0xc2: case 0xc3:
                break;
            case 0xc4: case 0xd9:
                if (read_be(p, len, &off, 1, &skip) != 0) return 0;
                break;
            case 0xc5: case 0xda:
                if (read_be(p, len, &off, 2, &skip) != 0) return 0;
                break;
            case 0xc6: case 0xdb:
                if (read_be(p, len, &off, 4, &skip) != 0) return 0;
                break;
            case 0xc7:
                if (read_be(p, len, &off, 1, &skip) != 0) return 0;
                skip += 1;
                break;
            case 0xc8:
                if (read_be(p, len, &off, 2, &skip) != 0) return 0;
                skip += 1;
                break;
            case 0xc9:
                if (read_be(p, len, &off, 4, &skip) != 0) return 0;
                skip += 1;
                break;
            case 0xca: case 0xce: case 0xd2: skip = 4; break;
            case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc:
                if (read_be(p, len, &off, 2, &n) != 0) return 0;
                pending += n;
                break;
            case 0xdd:
                if (read_be(p, len, &off, 4, &n) != 0) return 0;
                pending += n;
                break;
            case 0xde:
                if (read_be(p, len, &off, 2, &n) != 0) return 0;
                pending += 2 * n;
                break;
            case 0xdf:
                if (read_be(p, len, &off, 4, &n) != 0) return 0;
                pending += 2 * n;
                break;
            default: /* 0xc1 */
                return 0;
            }
        }
        if (len - off < skip) {
            return 0;
        }
        off += (size_t) skip;
    }
    return off;
}

/*
 * Group markers carry an EventTime whose seconds are 0xffffffff (start) or
 * 0xfffffffe (end) with zero nanoseconds; older encoders wrote -1 / -2 as
 * integers. `ts` is the header's first value.
 */
static enum kp_kind marker_kind(const unsigned char *p, size_t end, size_t ts)
{
    const unsigned char *e = NULL;

    if (ts < end && p[ts] == 0xff) {
        return KP_GROUP_START;
    }
    if (ts < end && p[ts] == 0xfe) {
        return KP_GROUP_END;
    }
    if (end - ts >= 10 && p[ts] == 0xd7 && p[ts + 1] == 0x00) {
        e = p + ts + 2;
    }
    else if (end - ts >= 11 && p[ts] == 0xc7 && p[ts + 1] == 8 && p[ts + 2] == 0) {
        e = p + ts + 3;
    }
    if (e == NULL || e[0] != 0xff || e[1] != 0xff || e[2] != 0xff ||
        e[4] || e[5] || e[6] || e[7]) {
        return KP_EVENT;
    }
    if (e[3] == 0xff) {
        return KP_GROUP_START;
    }
    if (e[3] == 0xfe) {
        return KP_GROUP_END;
    }
    return KP_EVENT;
}

/*
 * Classifies the item [off, end) and finds where its record (the map)
 * starts: after the header of a `[header, record]` event, or at `off` for
 * a bare map.
 */
static enum kp_kind classify(struct kp_ctx *ctx, const unsigned char *p,
                             size_t off, size_t end, size_t *body)
{
    enum kp_kind kind;
    size_t v, klen;

    *body = off;
    if (p[off] == 0x92) {
        if (off + 1 < end && p[off + 1] == 0x92) {
            kind = marker_kind(p, end, off + 2);
            if (kind != KP_EVENT) {
                return kind;
            }
        }
        v = mp_skip(p, end, off + 1);
        if (v == 0 || v >= end) {
            return KP_EVENT; /* malformed: kpaudit rejects it with a reason */
        }
        *body = v;
    }

    /* a one-member map holding just the raw-text key with a string value;
     * Fluent Bit's encoder writes map headers as map32, others as fixmap */
    v = *body;
    if (ctx->unparsed_key_len == 0 || v >= end) {
        return KP_EVENT;
    }
    if (p[v] == 0x81) {
        v += 1;
    }
    else if (p[v] == 0xde && end - v >= 3 && p[v + 1] == 0 && p[v + 2] == 1) {
        v += 3;
    }
    else if (p[v] == 0xdf && end - v >= 5 && p[v + 1] == 0 && p[v + 2] == 0 &&
             p[v + 3] == 0 && p[v + 4] == 1) {
        v += 5;
    }
    else {
        return KP_EVENT;
    }
    klen = ctx->unparsed_key_len;
    if (klen < 32 && v < end && p[v] == (0xa0 | klen)) {
        v += 1;
    }
    else if (end - v >= 2 && p[v] == 0xd9 && p[v + 1] == klen) {
        v += 2;
    }
    else {
        return KP_EVENT;
    }
    if (end - v <= klen || memcmp(p + v, ctx->unparsed_key, klen) != 0) {
        return KP_EVENT;
    }
    v += klen;
    if (((p[v] >= 0xa0 && p[v] <= 0xbf) || (p[v] >= 0xd9 && p[v] <= 0xdb)) &&
        mp_skip(p, end, v) == end) {
        return KP_UNPARSED;
    }
    return KP_EVENT;
}

/* ------------------------------------------------------------------------ */
/* Output buffers and dead letters                                           */
/* ------------------------------------------------------------------------ */

/* A growing flb_malloc buffer: Fluent Bit frees what cb_filter returns. */
struct kp_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

static void buf_add(struct kp_buf *b, const void *data, size_t len)
{
    size_t cap;
    char *tmp;

    if (b->failed || len == 0) {
        return;
    }
    if (b->cap - b->len < len) {
        cap = b->cap ? b->cap : 4096;
        while (cap - b->len < len) {
            cap *= 2;
        }
        tmp = flb_realloc(b->data, cap);
        if (!tmp) {
            flb_errno();
            b->failed = FLB_TRUE;
            return;
        }
        b->data = tmp;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

/* Dead letters of one chunk, emitted together at its end. */
struct kp_dead {
    struct flb_log_event_encoder enc;
    int ready;
    size_t count;
};

static const char *result_name(kpaudit_result r)
{
    switch (r) {
    case KPAUDIT_INVALID_EVENT:
        return "invalid_event";
    case KPAUDIT_EVENT_TOO_LARGE:
        return "event_too_large";
    case KPAUDIT_PANIC:
        return "panic";
    default:
        return "error";
    }
}

/* The dead letter holds what was wrong and where it came from, never a byte
 * of the record: it may be key material. */
static void dead_letter(struct kp_ctx *ctx, struct kp_dead *dl,
                        const char *error, const char *message,
                        const char *tag, int tag_len, size_t bytes)
{
    int ret;

    if (!ctx->emitter || !ctx->dead_letter_tag) {
        return;
    }
    if (!dl->ready) {
        if (flb_log_event_encoder_init(&dl->enc, FLB_LOG_EVENT_FORMAT_DEFAULT) !=
            FLB_EVENT_ENCODER_SUCCESS) {
            return;
        }
        dl->ready = FLB_TRUE;
    }
    ret = flb_log_event_encoder_begin_record(&dl->enc);
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        ret = flb_log_event_encoder_set_current_timestamp(&dl->enc);
    }
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        ret = flb_log_event_encoder_append_body_values(
                &dl->enc,
                FLB_LOG_EVENT_CSTRING_VALUE("error"),
                FLB_LOG_EVENT_CSTRING_VALUE(error),
                FLB_LOG_EVENT_CSTRING_VALUE("message"),
                FLB_LOG_EVENT_CSTRING_VALUE(message),
                FLB_LOG_EVENT_CSTRING_VALUE("tag"),
                FLB_LOG_EVENT_STRING_VALUE(tag, (size_t) tag_len),
                FLB_LOG_EVENT_CSTRING_VALUE("bytes"),
                FLB_LOG_EVENT_UINT64_VALUE((uint64_t) bytes));
    }
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        ret = flb_log_event_encoder_commit_record(&dl->enc);
    }
    else {
        flb_log_event_encoder_rollback_record(&dl->enc);
    }
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        dl->count++;
    }
}

static void dead_letters_flush(struct kp_ctx *ctx, struct kp_dead *dl,
                               struct flb_input_instance *i_ins)
{
    int ret;

    if (!dl->ready) {
        return;
    }
    if (dl->count > 0) {
        ret = in_emitter_add_record(ctx->dead_letter_tag,
                                    (int) flb_sds_len(ctx->dead_letter_tag),
                                    dl->enc.output_buffer,
                                    dl->enc.output_length,
                                    ctx->emitter, i_ins);
        if (ret == 0) {
            count(&ctx->dead_letters, dl->count);
        }
        else {
            count(&ctx->emit_failed, dl->count);
            flb_plg_warn(ctx->ins, "could not emit %zu dead letters", dl->count);
        }
    }
    flb_log_event_encoder_destroy(&dl->enc);
}

/* ------------------------------------------------------------------------ */
/* The two modes                                                             */
/* ------------------------------------------------------------------------ */

/* An empty GROUP_END marker, closing a group re-opened around emitted runs. */
static const unsigned char group_end_marker[] = {
    0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x80
};

struct kp_call {
    struct kp_ctx *ctx;
    struct kp_work *w;
    const unsigned char *p;
    const char *tag;
    int tag_len;
    struct flb_input_instance *i_ins;
    struct kp_buf out;         /* what goes back to Fluent Bit */
    struct kp_dead dead;
    const unsigned char *group; /* the open group's start marker, if any */
    size_t group_len;
};

static void reject(struct kp_call *c, const char *error, const char *message,
                   size_t bytes, uint64_t *counter)
{
    count(counter, 1);
    dead_letter(c->ctx, &c->dead, error, message, c->tag, c->tag_len, bytes);
}

/* Emits one route's items under its tag, inside the open group if any. */
static void emit_route(struct kp_call *c, size_t r, const uint8_t *data,
                       size_t len, size_t events)
{
    struct kp_ctx *ctx = c->ctx;
    struct kp_buf tmp = {0};
    const char *buf = (const char *) data;
    size_t size = len;
    int ret;

    if (c->group) {
        buf_add(&tmp, c->group, c->group_len);
        buf_add(&tmp, data, len);
        buf_add(&tmp, group_end_marker, sizeof(group_end_marker));
        if (tmp.failed) {
            flb_free(tmp.data);
            count(&ctx->emit_failed, events);
            return;
        }
        buf = tmp.data;
        size = tmp.len;
    }

    ret = in_emitter_add_record(ctx->route_tags[r],
                                (int) flb_sds_len(ctx->route_tags[r]),
                                buf, size, ctx->emitter, c->i_ins);
    if (ret != 0) {
        /*
         * The emitter is over its memory limit (it pauses the inputs feeding
         * it): keep the events, already transformed, under the original tag
         * rather than lose them.
         */
        buf_add(&c->out, buf, size);
        count(&ctx->emit_failed, events);
    }
    flb_free(tmp.data);
}

/* tag_prefix: one kpaudit batch over a run of consecutive events. */
static void run_batch(struct kp_call *c, size_t start, size_t end)
{
    struct kp_ctx *ctx = c->ctx;
    kpaudit_batch *b = c->w->batch;
    kpaudit_result ret;
    const uint8_t *data;
    size_t i, r, len, events, item, k, at, next;
    char msg[160];

    if (end <= start) {
        return;
    }
    ret = kpaudit_transform_msgpack_batch(ctx->t, c->p + start, end - start,
                                          b, c->w->err);
    if (ret != KPAUDIT_OK) {
        /* only a bug in kpaudit gets here; the run is not forwarded */
        snprintf(msg, sizeof(msg), "%s", kpaudit_error_message(c->w->err));
        reject(c, result_name(ret), msg, end - start, &ctx->rejected);
        return;
    }

    for (r = 0; r < kpaudit_batch_route_count(b) && r < ctx->n_routes; r++) {
        events = kpaudit_batch_route_events(b, r);
        data = kpaudit_batch_route_data(b, r, &len);
        if (events == 0 || data == NULL) {
            continue;
        }
        count(&ctx->route_events[r], events);
        emit_route(c, r, data, len, events);
    }
    for (i = 0; i < KP_SEVERITIES; i++) {
        count(&ctx->severity[i],
              kpaudit_batch_severity_count(b, (kpaudit_severity) i));
    }
    count(&ctx->redacted, kpaudit_batch_redacted(b));

    /* rejected items come in input order: one walk finds their sizes */
    at = start;
    item = 1;
    for (i = 0; i < kpaudit_batch_rejected(b); i++) {
        k = kpaudit_batch_rejected_line(b, i);
        while (item < k && at < end) {
            next = mp_skip(c->p, end, at);
            at = next ? next : end;
            item++;
        }
        next = at < end ? mp_skip(c->p, end, at) : end;
        if (next == 0) {
            next = end; /* the undecodable rest is one item */
        }
        reject(c, result_name(kpaudit_batch_rejected_result(b, i)),
               kpaudit_batch_rejected_message(b, i), next - at, &ctx->rejected);
    }
}

/* route_field: record by record, so the chunk keeps its order. */
static void one_event(struct kp_call *c, size_t off, size_t body, size_t end)
{
    struct kp_ctx *ctx = c->ctx;
    kpaudit_result ret;
    const uint8_t *data;
    const char *route;
    size_t len, r;
    kpaudit_severity sev;

    ret = kpaudit_transform_msgpack(ctx->t, c->p + body, end - body,
                                    c->w->out, c->w->err);
    if (ret != KPAUDIT_OK) {
        reject(c, result_name(ret), kpaudit_error_message(c->w->err),
               end - off, &ctx->rejected);
        return;
    }
    data = kpaudit_output_data(c->w->out, &len);
    buf_add(&c->out, c->p + off, body - off);   /* the frame and header, as is */
    buf_add(&c->out, data, len);

    route = kpaudit_output_route(c->w->out);
    for (r = 0; r < ctx->n_routes; r++) {
        if (strcmp(route, kpaudit_transform_route_name(ctx->t, r)) == 0) {
            count(&ctx->route_events[r], 1);
            break;
        }
    }
    sev = kpaudit_output_severity(c->w->out);
    if ((unsigned) sev < KP_SEVERITIES) {
        count(&ctx->severity[sev], 1);
    }
    count(&ctx->redacted, kpaudit_output_redacted(c->w->out));
}

static int cb_kpaudit_filter(const void *data, size_t bytes,
                             const char *tag, int tag_len,
                             void **out_buf, size_t *out_bytes,
                             struct flb_filter_instance *f_ins,
                             struct flb_input_instance *i_ins,
                             void *filter_context,
                             struct flb_config *config)
{
    struct kp_ctx *ctx = filter_context;
    struct kp_call c;
    struct kp_work own = {0};
    int locked;
    size_t off, end, body, run = 0;
    enum kp_kind kind;
    int batch_mode = ctx->tag_prefix != NULL;

    (void) f_ins;
    (void) config;

    /* Records we emitted ourselves are already transformed; a Match that
     * also covers the output tags must not feed them around again. */
    if (ctx->emitter && i_ins == ctx->emitter) {
        return FLB_FILTER_NOTOUCH;
    }

    memset(&c, 0, sizeof(c));
    c.ctx = ctx;
    c.p = data;
    c.tag = tag;
    c.tag_len = tag_len;
    c.i_ins = i_ins;

    locked = pthread_mutex_trylock(&ctx->work_lock) == 0;
    if (locked) {
        c.w = &ctx->work;
    }
    else {
        own.batch = batch_mode ? kpaudit_batch_new() : NULL;
        own.out = batch_mode ? NULL : kpaudit_output_new();
        own.err = kpaudit_error_new();
        if ((batch_mode && !own.batch) || (!batch_mode && !own.out) || !own.err) {
            kpaudit_batch_free(own.batch);
            kpaudit_output_free(own.out);
            kpaudit_error_free(own.err);
            /* records must not pass untransformed: drop the chunk */
            flb_plg_error(ctx->ins, "out of memory; %zu bytes dropped", bytes);
            *out_buf = NULL;
            *out_bytes = 0;
            return FLB_FILTER_MODIFIED;
        }
        c.w = &own;
    }

    off = 0;
    while (off < bytes) {
        end = mp_skip(c.p, bytes, off);
        if (end == 0) {
            /* the rest does not split into items: nothing of it goes on */
            if (batch_mode) {
                run_batch(&c, run, off);
            }
            reject(&c, "undecodable", "bytes do not form a whole MessagePack item",
                   bytes - off, &ctx->undecodable);
            off = bytes;
            run = bytes;
            break;
        }
        kind = classify(ctx, c.p, off, end, &body);

        if (kind == KP_EVENT) {
            if (!batch_mode) {
                one_event(&c, off, body, end);
            }
            off = end;
            continue;
        }

        if (batch_mode) {
            run_batch(&c, run, off);
            run = end;
        }
        if (kind == KP_UNPARSED) {
            reject(&c, "unparsed", "the record is a line its parser could not read",
                   end - off, &ctx->unparsed);
        }
        else {
            if (!batch_mode) {
                buf_add(&c.out, c.p + off, end - off);
            }
            if (kind == KP_GROUP_START) {
                c.group = c.p + off;
                c.group_len = end - off;
            }
            else {
                c.group = NULL;
                c.group_len = 0;
            }
        }
        off = end;
    }
    if (batch_mode) {
        run_batch(&c, run, bytes);
    }

    if (locked) {
        pthread_mutex_unlock(&ctx->work_lock);
    }
    else {
        kpaudit_batch_free(own.batch);
        kpaudit_output_free(own.out);
        kpaudit_error_free(own.err);
    }

    dead_letters_flush(ctx, &c.dead, i_ins);

    if (c.out.failed) {
        flb_plg_error(ctx->ins, "out of memory; %zu bytes dropped", bytes);
        flb_free(c.out.data);
        c.out.data = NULL;
        c.out.len = 0;
    }
    *out_buf = c.out.data;
    *out_bytes = c.out.len;
    return FLB_FILTER_MODIFIED;
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */
/* ------------------------------------------------------------------------ */

static int is_key(const msgpack_object *o, const char *name)
{
    size_t len = strlen(name);

    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
           memcmp(o->via.str.ptr, name, len) == 0;
}

/*
 * The kpaudit configuration with route.field set to `field`: the JSON goes
 * through MessagePack so the merge respects its structure (and escaping)
 * instead of editing text.
 */
static flb_sds_t config_with_field(struct kp_ctx *ctx, const char *json,
                                   size_t len, const char *field)
{
    char *mp = NULL;
    size_t mp_size = 0;
    size_t consumed = 0;
    size_t uoff = 0;
    int root_type;
    uint32_t i, n;
    msgpack_unpacked u;
    msgpack_object root, *route = NULL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    flb_sds_t merged = NULL;

    if (len == 0) {
        json = "{}";
        len = 2;
    }
    if (flb_pack_json(json, len, &mp, &mp_size, &root_type, &consumed) != 0) {
        flb_plg_error(ctx->ins, "config is not valid JSON");
        return NULL;
    }
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, mp, mp_size, &uoff) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        flb_plg_error(ctx->ins, "config must be a JSON object");
        goto done;
    }
    root = u.data;
    n = root.via.map.size;
    for (i = 0; i < n; i++) {
        if (is_key(&root.via.map.ptr[i].key, "route")) {
            route = &root.via.map.ptr[i].val;
        }
    }
    if (route && route->type != MSGPACK_OBJECT_MAP) {
        flb_plg_error(ctx->ins, "config: route must be an object");
        goto done;
    }

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n - (route ? 1 : 0) + 1);
    for (i = 0; i < n; i++) {
        if (is_key(&root.via.map.ptr[i].key, "route")) {
            continue;
        }
        msgpack_pack_object(&pk, root.via.map.ptr[i].key);
        msgpack_pack_object(&pk, root.via.map.ptr[i].val);
    }
    msgpack_pack_str_with_body(&pk, "route", 5);
    {
        uint32_t rn = route ? route->via.map.size : 0;
        uint32_t keep = 0;

        for (i = 0; i < rn; i++) {
            if (!is_key(&route->via.map.ptr[i].key, "field")) {
                keep++;
            }
        }
        msgpack_pack_map(&pk, keep + 1);
        for (i = 0; i < rn; i++) {
            if (is_key(&route->via.map.ptr[i].key, "field")) {
                continue;
            }
            msgpack_pack_object(&pk, route->via.map.ptr[i].key);
            msgpack_pack_object(&pk, route->via.map.ptr[i].val);
        }
        msgpack_pack_str_with_body(&pk, "field", 5);
        msgpack_pack_str_with_body(&pk, field, strlen(field));
    }
    merged = flb_msgpack_raw_to_json_sds(sb.data, sb.size, FLB_FALSE);
    msgpack_sbuffer_destroy(&sb);
    if (!merged) {
        flb_plg_error(ctx->ins, "cannot compose the kpaudit config");
    }

done:
    msgpack_unpacked_destroy(&u);
    flb_free(mp);
    return merged;
}

static int emitter_create(struct kp_ctx *ctx)
{
    struct flb_input_instance *in;
    char size[32];

    if (flb_input_name_exists(ctx->emitter_name, ctx->fconfig) == FLB_TRUE) {
        flb_plg_error(ctx->ins, "emitter_name '%s' already exists", ctx->emitter_name);
        return -1;
    }
    in = flb_input_new(ctx->fconfig, "emitter", NULL, FLB_FALSE);
    if (!in) {
        flb_plg_error(ctx->ins, "cannot create the emitter input");
        return -1;
    }
    flb_input_set_property(in, "alias", ctx->emitter_name);
    flb_input_set_property(in, "storage.type", "memory");
    snprintf(size, sizeof(size), "%zu", ctx->emitter_mem_buf_limit);
    flb_input_set_property(in, "mem_buf_limit", size);

    if (flb_input_instance_init(in, ctx->fconfig) == -1) {
        flb_plg_error(ctx->ins, "cannot initialize the emitter input");
        flb_input_instance_exit(in, ctx->fconfig);
        flb_input_instance_destroy(in);
        return -1;
    }
    if (flb_storage_input_create(ctx->fconfig->cio, in) == -1) {
        flb_plg_error(ctx->ins, "cannot create storage for the emitter input");
        flb_input_instance_exit(in, ctx->fconfig);
        flb_input_instance_destroy(in);
        return -1;
    }
    ctx->emitter = in;
    return 0;
}

static void ctx_destroy(struct kp_ctx *ctx)
{
    size_t r;

    if (!ctx) {
        return;
    }
    if (ctx->route_tags) {
        for (r = 0; r < ctx->n_routes; r++) {
            flb_sds_destroy(ctx->route_tags[r]);
        }
        flb_free(ctx->route_tags);
    }
    flb_free(ctx->route_events);
    kpaudit_batch_free(ctx->work.batch);
    kpaudit_output_free(ctx->work.out);
    kpaudit_error_free(ctx->work.err);
    kpaudit_transform_free(ctx->t);
    pthread_mutex_destroy(&ctx->work_lock);
    flb_free(ctx);
}

static int cb_kpaudit_init(struct flb_filter_instance *ins,
                           struct flb_config *config, void *data)
{
    struct kp_ctx *ctx;
    flb_sds_t file_text = NULL;
    flb_sds_t merged = NULL;
    const char *json = NULL;
    size_t json_len = 0;
    size_t r;
    kpaudit_result ret;
    char name[64];
    (void) data;

    ctx = flb_calloc(1, sizeof(struct kp_ctx));
    if (!ctx) {
        flb_errno();
        return -1;
    }
    ctx->ins = ins;
    ctx->fconfig = config;
    pthread_mutex_init(&ctx->work_lock, NULL);

    if (flb_filter_config_map_set(ins, ctx) == -1) {
        ctx_destroy(ctx);
        return -1;
    }

    if (kpaudit_abi_version() != KPAUDIT_ABI_VERSION) {
        flb_plg_error(ins, "libkpaudit ABI %u, header ABI %u",
                      kpaudit_abi_version(), KPAUDIT_ABI_VERSION);
        goto fail;
    }
    if (!ctx->tag_prefix && !ctx->route_field) {
        flb_plg_error(ins, "set tag_prefix (re-tag per route) or route_field "
                      "(write the route into the record)");
        goto fail;
    }
    if (ctx->config && ctx->config_file) {
        flb_plg_error(ins, "set config or config_file, not both");
        goto fail;
    }
    if (ctx->config_file) {
        file_text = flb_file_read(ctx->config_file);
        if (!file_text) {
            flb_plg_error(ins, "cannot read config_file %s", ctx->config_file);
            goto fail;
        }
        json = file_text;
        json_len = flb_sds_len(file_text);
    }
    else if (ctx->config) {
        json = ctx->config;
        json_len = flb_sds_len(ctx->config);
    }
    if (ctx->route_field) {
        merged = config_with_field(ctx, json, json_len, ctx->route_field);
        if (!merged) {
            goto fail;
        }
        json = merged;
        json_len = flb_sds_len(merged);
    }

    ctx->work.err = kpaudit_error_new();
    if (!ctx->work.err) {
        goto fail;
    }
    ret = kpaudit_transform_new((const uint8_t *) json, json_len, &ctx->t, ctx->work.err);
    if (ret != KPAUDIT_OK) {
        flb_plg_error(ins, "kpaudit config: %s", kpaudit_error_message(ctx->work.err));
        goto fail;
    }
    ctx->work.batch = kpaudit_batch_new();
    ctx->work.out = kpaudit_output_new();
    if (!ctx->work.batch || !ctx->work.out) {
        goto fail;
    }

    ctx->n_routes = kpaudit_transform_route_count(ctx->t);
    ctx->route_events = flb_calloc(ctx->n_routes, sizeof(uint64_t));
    ctx->route_tags = flb_calloc(ctx->n_routes, sizeof(flb_sds_t));
    if (!ctx->route_events || !ctx->route_tags) {
        flb_errno();
        goto fail;
    }
    if (ctx->tag_prefix) {
        for (r = 0; r < ctx->n_routes; r++) {
            ctx->route_tags[r] = flb_sds_create(ctx->tag_prefix);
            if (!ctx->route_tags[r] ||
                flb_sds_cat_safe(&ctx->route_tags[r],
                                 kpaudit_transform_route_name(ctx->t, r),
                                 (int) strlen(kpaudit_transform_route_name(ctx->t, r))) != 0) {
                goto fail;
            }
        }
    }

    if (ctx->unparsed_key) {
        ctx->unparsed_key_len = flb_sds_len(ctx->unparsed_key);
        if (ctx->unparsed_key_len > 255) {
            flb_plg_error(ins, "unparsed_key is limited to 255 bytes");
            goto fail;
        }
    }

    if (ctx->tag_prefix || ctx->dead_letter_tag) {
        if (!ctx->emitter_name) {
            snprintf(name, sizeof(name), "emitter_for_%s", flb_filter_name(ins));
            flb_filter_set_property(ins, "emitter_name", name);
            ctx->emitter_name = (flb_sds_t) flb_filter_get_property("emitter_name", ins);
        }
        if (emitter_create(ctx) != 0) {
            goto fail;
        }
    }

    flb_plg_info(ins, "kpaudit %s (ABI %u), %zu routes; %s%s%s%s, dead letters %s%s, "
                 "unparsed_key %s, config %s",
                 kpaudit_version(), kpaudit_abi_version(), ctx->n_routes,
                 ctx->tag_prefix ? "tag_prefix " : "",
                 ctx->tag_prefix ? ctx->tag_prefix : "",
                 ctx->route_field ? (ctx->tag_prefix ? ", route_field " : "route_field ") : "",
                 ctx->route_field ? ctx->route_field : "",
                 ctx->dead_letter_tag ? "-> " : "dropped (no dead_letter_tag)",
                 ctx->dead_letter_tag ? ctx->dead_letter_tag : "",
                 ctx->unparsed_key_len ? ctx->unparsed_key : "(off)",
                 ctx->config_file ? ctx->config_file :
                 (ctx->config ? "inline" : "built-in defaults"));
    for (r = 0; r < ctx->n_routes; r++) {
        flb_plg_debug(ins, "route %zu: %s%s%s", r, kpaudit_transform_route_name(ctx->t, r),
                      ctx->tag_prefix ? " -> tag " : "",
                      ctx->tag_prefix ? ctx->route_tags[r] : "");
    }

    flb_sds_destroy(file_text);
    flb_sds_destroy(merged);
    flb_filter_set_context(ins, ctx);
    return 0;

fail:
    flb_sds_destroy(file_text);
    flb_sds_destroy(merged);
    ctx_destroy(ctx);
    return -1;
}

static int cb_kpaudit_exit(void *data, struct flb_config *config)
{
    struct kp_ctx *ctx = data;
    size_t r;
    (void) config;

    if (!ctx) {
        return 0;
    }
    for (r = 0; r < ctx->n_routes; r++) {
        flb_plg_info(ctx->ins, "route %-12s events %" PRIu64,
                     kpaudit_transform_route_name(ctx->t, r),
                     counted(&ctx->route_events[r]));
    }
    flb_plg_info(ctx->ins, "severity normal %" PRIu64 ", warning %" PRIu64
                 ", critical %" PRIu64 "; members redacted %" PRIu64,
                 counted(&ctx->severity[0]), counted(&ctx->severity[1]),
                 counted(&ctx->severity[2]), counted(&ctx->redacted));
    flb_plg_info(ctx->ins, "rejected %" PRIu64 ", unparsed %" PRIu64
                 ", undecodable %" PRIu64 "; dead letters emitted %" PRIu64
                 ", emit failures %" PRIu64,
                 counted(&ctx->rejected), counted(&ctx->unparsed),
                 counted(&ctx->undecodable), counted(&ctx->dead_letters),
                 counted(&ctx->emit_failed));
    ctx_destroy(ctx);
    return 0;
}

static struct flb_config_map config_map[] = {
    {
     .type = FLB_CONFIG_MAP_STR, .name = "config", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, config),
     .desc =
     "kpaudit configuration as inline JSON (default: built-in Key Protect tables)"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "config_file", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, config_file),
     .desc =
     "path of a kpaudit JSON configuration file"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "tag_prefix", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, tag_prefix),
     .desc =
     "re-tag each record to <tag_prefix><route> and drop the original"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "route_field", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, route_field),
     .desc =
     "write the route name into this top-level member (kpaudit route.field)"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "dead_letter_tag", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, dead_letter_tag),
     .desc =
     "tag for a record describing each rejected record (never its bytes)"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "unparsed_key", .def_value = "log",
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, unparsed_key),
     .desc =
     "a record holding only this string member is a line its parser failed "
     "on: rejected, not forwarded (empty to turn off)"
    },
    {
     .type = FLB_CONFIG_MAP_STR, .name = "emitter_name", .def_value = NULL,
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, emitter_name),
     .desc =
     "name of the emitter input created for re-tagged records"
    },
    {
     .type = FLB_CONFIG_MAP_SIZE, .name = "emitter_mem_buf_limit", .def_value = "10M",
     .set_property = FLB_TRUE, .offset = offsetof(struct kp_ctx, emitter_mem_buf_limit),
     .desc =
     "memory limit of the emitter input"
    },
    {0}
};

struct flb_filter_plugin filter_kpaudit_plugin = {
    .event_type  = FLB_FILTER_LOGS,
    .name        = "kpaudit",
    .description = "Key Protect activity events: severity, key-material "
                   "stripping, routing (kpaudit)",
    .cb_init     = cb_kpaudit_init,
    .cb_filter   = cb_kpaudit_filter,
    .cb_exit     = cb_kpaudit_exit,
    .config_map  = config_map,
    .flags       = 0
};
