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
 * Nothing leaves the filter unscanned: events go through kpaudit (record and
 * metadata header), group markers through kpaudit's redact-only call. What
 * is not forwarded (records kpaudit rejects, lines a parser left as raw
 * text, items Fluent Bit's decoder would stop at, bytes that are not whole
 * MessagePack items) becomes a small dead letter
 * ({"error","message","tag","bytes"}) under dead_letter_tag, and is counted
 * by reason either way. Counters are registered with Fluent Bit's cmetrics.
 *
 * Which item is what is decided in kp_items.c; the release check that runs
 * at dlopen() is kp_host_check.c. Every decision about an event is kpaudit's.
 */

#include <fluent-bit/flb_info.h>
#include <fluent-bit/flb_filter.h>
#include <fluent-bit/flb_filter_plugin.h>
#include <fluent-bit/flb_input.h>
#include <fluent-bit/flb_input_chunk.h>
#include <fluent-bit/flb_input_log.h>
#include <fluent-bit/flb_storage.h>
#include <fluent-bit/flb_scheduler.h>
#include <fluent-bit/flb_config_map.h>
#include <fluent-bit/flb_pack.h>
#include <fluent-bit/flb_mp.h>
#include <fluent-bit/flb_file.h>
#include <fluent-bit/flb_sds.h>
#include <fluent-bit/flb_mem.h>
#include <fluent-bit/flb_version.h>
#include <fluent-bit/flb_log_event_encoder.h>
#include <cmetrics/cmetrics.h>
#include <cmetrics/cmt_counter.h>
#include <cfl/cfl_time.h>
#include <msgpack.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kpaudit.h"
#include "kp_items.h"
#include "kp_host_check.h"

/* Exported by the in_emitter plugin, which has no public header. */
int in_emitter_add_record(const char *tag, int tag_len,
                          const char *buf_data, size_t buf_size,
                          struct flb_input_instance *in,
                          struct flb_input_instance *i_ins);

/* The decoder rules of the release the plugin is built against (see
 * kp_items.h; checked against 4.2.8, 5.0.9 and 5.1.1). */
#if FLB_VERSION_MAJOR > 5 || (FLB_VERSION_MAJOR == 5 && FLB_VERSION_MINOR >= 1)
#define KP_TIMESTAMP_RULES KP_TS_TIME_T_SECONDS
#else
#define KP_TIMESTAMP_RULES KP_TS_INT32_SECONDS
#endif
#ifndef MSGPACK_EMBED_STACK_SIZE
#define MSGPACK_EMBED_STACK_SIZE 32   /* msgpack-c's own default */
#endif

#define KP_SEVERITIES 3

/* Why an item was not forwarded: the `error` of its dead letter and the
 * `reason` label of the rejected counter. */
enum kp_reason {
    KP_INVALID_EVENT,    /* kpaudit: not a valid record (or header) */
    KP_EVENT_TOO_LARGE,  /* kpaudit: over limits.max_event_bytes */
    KP_UNPARSED,         /* a line its parser could not read */
    KP_INVALID_FRAME,    /* Fluent Bit's decoder would stop at it or skip it */
    KP_UNDECODABLE,      /* bytes that are not whole MessagePack items */
    KP_INTERNAL,         /* a kpaudit bug (panic), or out of memory */
    KP_REASONS
};

static const char *const reason_names[KP_REASONS] = {
    "invalid_event", "event_too_large", "unparsed", "invalid_frame",
    "undecodable", "internal_error"
};

static const char *const marker_names[2] = { "start", "end" };
static const char *const emitted_names[2] = { "event", "dead_letter" };
enum { KP_EMIT_EVENT, KP_EMIT_DEAD_LETTER };

/* The plugin's counters in Fluent Bit's metrics (per filter instance). */
struct kp_metrics {
    struct cmt_counter *routed;      /* records per route */
    struct cmt_counter *severity;    /* records per severity */
    struct cmt_counter *rejected;    /* records not forwarded, per reason */
    struct cmt_counter *redacted;    /* key-material members removed */
    struct cmt_counter *markers;     /* group markers scanned and forwarded */
    struct cmt_counter *handed;      /* records handed to the emitter */
    struct cmt_counter *accepted;    /* ... and accepted by it */
    struct cmt_counter *refused;     /* ... or kept under the original tag */
};

/* One chunk's counts, added to the metrics once at its end. */
struct kp_tally {
    uint64_t *routed;                /* n_routes */
    uint64_t severity[KP_SEVERITIES];
    uint64_t rejected[KP_REASONS];
    uint64_t redacted;
    uint64_t markers[2];
    uint64_t handed[2];
    uint64_t accepted[2];
    uint64_t refused[2];
};

/* kpaudit objects and counts used by one thread at a time. */
struct kp_work {
    kpaudit_output *out;
    kpaudit_error *err;
    uint64_t *routed;
    /* events of each route this call put in the chunk it returns (all of
     * route_field's; tag_prefix's the emitter could not take) */
    uint64_t *kept;
    /* tag_prefix: each route's transformed events of the current run, in
     * chunk order, and how many */
    struct kp_buf *runs;
    size_t *run_events;
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
    struct kp_item_rules rules;

    /*
     * Fluent Bit calls cb_filter from the thread of the input that produced
     * the chunk, so two threaded inputs can be in here at once: the shared
     * work objects are taken with trylock, and a caller that loses the race
     * makes its own for that chunk instead of waiting.
     */
    pthread_mutex_t work_lock;
    struct kp_work work;

    /*
     * Records the emitter refused while over its memory limit (it then
     * pauses the inputs feeding it), and every record from a threaded
     * input, kept in order and handed to it by a scheduler timer in the
     * engine's thread; up to emitter_mem_buf_limit bytes, past that they
     * keep the original tag.
     */
    pthread_mutex_t stash_lock;
    struct kp_stashed *stash_head, *stash_tail;
    size_t stash_bytes;
    size_t stash_records;
    size_t stash_peak;               /* most records ever waiting at once */
    struct flb_sched_timer *stash_timer;

    struct kp_metrics m;
};

struct kp_stashed {
    struct kp_stashed *next;
    int kind;                        /* KP_EMIT_EVENT or KP_EMIT_DEAD_LETTER */
    flb_sds_t tag;                   /* owned by the context */
    struct flb_input_instance *from; /* the input whose chunk they were in */
    size_t records;
    size_t size;
    char data[];
};

/* ------------------------------------------------------------------------ */
/* Output buffers                                                            */
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

/* Room for `len` bytes in all, so that a chunk's records are copied once
 * rather than again at each doubling. Failing here is not an error: buf_add
 * grows the buffer as it goes. */
static void buf_reserve(struct kp_buf *b, size_t len)
{
    char *tmp;

    if (b->failed || b->cap >= len) {
        return;
    }
    tmp = flb_realloc(b->data, len);
    if (tmp) {
        b->data = tmp;
        b->cap = len;
    }
}

/* ------------------------------------------------------------------------ */
/* One call of the filter                                                    */
/* ------------------------------------------------------------------------ */

/* Dead letters of one chunk, emitted together at its end. */
struct kp_dead {
    struct flb_log_event_encoder enc;
    int ready;
    size_t count;
};

struct kp_call {
    struct kp_ctx *ctx;
    struct kp_work *w;
    const unsigned char *p;
    const char *tag;
    int tag_len;
    struct flb_input_instance *i_ins;
    struct kp_buf out;          /* what goes back to Fluent Bit */
    struct kp_dead dead;
    struct kp_buf group;        /* the open group's start marker, scanned */
    int in_group;
    /* kpaudit refused the item fast_event gave it: w->err says why */
    int refused;
    struct kp_tally tally;
};

static enum kp_reason reason_of(kpaudit_result r)
{
    switch (r) {
    case KPAUDIT_INVALID_EVENT:
        return KP_INVALID_EVENT;
    case KPAUDIT_EVENT_TOO_LARGE:
        return KP_EVENT_TOO_LARGE;
    default:
        return KP_INTERNAL;
    }
}

/*
 * Appends records to the emitter input directly, as its own collector does.
 * Only from the engine's thread (where the emitter lives). The emitter's
 * own way in, in_emitter_add_record, merely queues them for a collector
 * that Fluent Bit pauses at shutdown and never runs again: what is queued
 * then is discarded without a word.
 */
static int emitter_append(struct kp_ctx *ctx, flb_sds_t tag, const char *buf, size_t size)
{
    return flb_input_log_append(ctx->emitter, tag, flb_sds_len(tag), buf, size);
}

/*
 * Hands the oldest stashed records to the emitter while it takes them;
 * the caller holds stash_lock and runs in the engine's thread.
 *
 * When the emitter refuses (over its memory limit), in_emitter_add_record
 * is called from here, the engine's thread, for what it does first: it
 * makes the emitter know the input the records came from, so that the
 * emitter pauses that input while it is over its limit (a threaded input
 * too). Over the limit it takes nothing.
 *
 * Stopping, Fluent Bit no longer lifts an input's memory pause (it resumes
 * inputs only while ingestion is active) and stops once no chunk or task
 * is pending, blind to this stash: records still here would be lost. So
 * the emitter then takes them over its limit, a soft one.
 */
static void stash_drain_locked(struct kp_ctx *ctx, uint64_t accepted[2])
{
    struct kp_stashed *e;
    int stopping = ctx->fconfig->is_ingestion_active == FLB_FALSE;
    int status = ctx->emitter->mem_buf_status;
    int ret;

    while ((e = ctx->stash_head) != NULL) {
        if (stopping) {
            ctx->emitter->mem_buf_status = FLB_INPUT_RUNNING;
        }
        ret = emitter_append(ctx, e->tag, e->data, e->size);
        if (ret != 0 && !stopping) {
            ret = in_emitter_add_record(e->tag, (int) flb_sds_len(e->tag), e->data,
                                        e->size, ctx->emitter, e->from);
        }
        if (ret != 0) {
            break;
        }
        accepted[e->kind] += e->records;
        ctx->stash_head = e->next;
        if (!ctx->stash_head) {
            ctx->stash_tail = NULL;
        }
        ctx->stash_bytes -= e->size;
        ctx->stash_records -= e->records;
        flb_free(e);
    }
    if (stopping && status == FLB_INPUT_PAUSED) {
        ctx->emitter->mem_buf_status = FLB_INPUT_PAUSED;
    }
}

static void stash_drain(struct flb_config *config, void *data)
{
    struct kp_ctx *ctx = data;
    uint64_t accepted[2] = {0, 0};
    uint64_t ts = cfl_time_now();
    char *name = (char *) flb_filter_name(ctx->ins);
    int i;
    (void) config;

    pthread_mutex_lock(&ctx->stash_lock);
    stash_drain_locked(ctx, accepted);
    pthread_mutex_unlock(&ctx->stash_lock);
    for (i = 0; i < 2; i++) {
        if (accepted[i] > 0) {
            cmt_counter_add(ctx->m.accepted, ts, (double) accepted[i], 2,
                            (char *[]) {name, (char *) emitted_names[i]});
        }
    }
}

/*
 * Hands records to the emitter under `tag`. Returns 0 when it took them or
 * they wait in the stash for it, -1 when the caller must keep them under
 * the original tag.
 */
static int emitter_hand(struct kp_call *c, int kind, flb_sds_t tag,
                        const char *buf, size_t size, size_t records)
{
    struct kp_ctx *ctx = c->ctx;
    struct kp_stashed *e;
    int engine_thread = !flb_input_is_threaded(c->i_ins);
    int ret = -1;

    c->tally.handed[kind] += records;
    pthread_mutex_lock(&ctx->stash_lock);
    if (engine_thread) {
        stash_drain_locked(ctx, c->tally.accepted);
    }
    /*
     * Only the engine's thread appends. A threaded input's records wait in
     * the stash for the timer: in_emitter_add_record would queue them from
     * the input's thread, beside the emitter's collector reading that queue
     * in the engine's thread, and Fluent Bit discards the queue unread when
     * it stops.
     */
    if (!ctx->stash_head && engine_thread) {  /* nothing older waits: keep order */
        ret = emitter_append(ctx, tag, buf, size);
        if (ret != 0) {
            /* Over its limit: this makes the emitter know the input, so
             * that it pauses it, and refuses the records (from the engine's
             * thread it queues nothing while over its limit). */
            ret = in_emitter_add_record(tag, (int) flb_sds_len(tag), buf, size,
                                        ctx->emitter, c->i_ins);
        }
        if (ret == 0) {
            c->tally.accepted[kind] += records;
            pthread_mutex_unlock(&ctx->stash_lock);
            return 0;
        }
    }
    if (ctx->stash_bytes + size <= ctx->emitter_mem_buf_limit &&
        (e = flb_malloc(sizeof(*e) + size)) != NULL) {
        e->next = NULL;
        e->kind = kind;
        e->tag = tag;
        e->from = c->i_ins;
        e->records = records;
        e->size = size;
        memcpy(e->data, buf, size);
        if (ctx->stash_tail) {
            ctx->stash_tail->next = e;
        }
        else {
            ctx->stash_head = e;
        }
        ctx->stash_tail = e;
        ctx->stash_bytes += size;
        ctx->stash_records += records;
        if (ctx->stash_records > ctx->stash_peak) {
            ctx->stash_peak = ctx->stash_records;
        }
        ret = 0;
    }
    else {
        c->tally.refused[kind] += records;
        ret = -1;
    }
    pthread_mutex_unlock(&ctx->stash_lock);
    return ret;
}

/* The dead letter holds what was wrong and where it came from, never a byte
 * of the record: it may be key material. */
static void reject(struct kp_call *c, enum kp_reason why, const char *message,
                   size_t bytes)
{
    struct kp_ctx *ctx = c->ctx;
    struct kp_dead *dl = &c->dead;
    size_t kept;
    int ret;

    c->tally.rejected[why]++;
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
    kept = dl->enc.buffer.size;
    ret = flb_log_event_encoder_begin_record(&dl->enc);
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        ret = flb_log_event_encoder_set_current_timestamp(&dl->enc);
    }
    if (ret == FLB_EVENT_ENCODER_SUCCESS) {
        ret = flb_log_event_encoder_append_body_values(
                &dl->enc,
                FLB_LOG_EVENT_CSTRING_VALUE("error"),
                FLB_LOG_EVENT_CSTRING_VALUE(reason_names[why]),
                FLB_LOG_EVENT_CSTRING_VALUE("message"),
                FLB_LOG_EVENT_CSTRING_VALUE(message),
                FLB_LOG_EVENT_CSTRING_VALUE("tag"),
                FLB_LOG_EVENT_STRING_VALUE(c->tag, (size_t) c->tag_len),
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
    else {
        /* a commit can fail half written: cut back to the last whole one,
         * so the dead letters before it still decode */
        dl->enc.buffer.size = kept;
        dl->enc.output_buffer = dl->enc.buffer.data;
        dl->enc.output_length = kept;
    }
}

static void dead_letters_flush(struct kp_call *c)
{
    struct kp_ctx *ctx = c->ctx;
    struct kp_dead *dl = &c->dead;

    if (!dl->ready) {
        return;
    }
    if (dl->count > 0 &&
        emitter_hand(c, KP_EMIT_DEAD_LETTER, ctx->dead_letter_tag,
                     dl->enc.output_buffer, dl->enc.output_length, dl->count) != 0) {
        /* they describe records, never hold their bytes: the original tag
         * is a better place for them than nowhere */
        buf_add(&c->out, dl->enc.output_buffer, dl->enc.output_length);
    }
    flb_log_event_encoder_destroy(&dl->enc);
}

/* Adds one chunk's counts to the metrics. */
static void tally_flush(struct kp_ctx *ctx, struct kp_tally *t)
{
    struct kp_metrics *m = &ctx->m;
    char *name = (char *) flb_filter_name(ctx->ins);
    uint64_t ts = cfl_time_now();
    size_t i;

#define KP_ADD(counter, n, label) \
    if ((n) > 0) cmt_counter_add((counter), ts, (double) (n), 2, (char *[]) {name, (char *) (label)})

    for (i = 0; i < ctx->n_routes; i++) {
        KP_ADD(m->routed, t->routed[i], kpaudit_transform_route_name(ctx->t, i));
    }
    for (i = 0; i < KP_SEVERITIES; i++) {
        KP_ADD(m->severity, t->severity[i], kpaudit_severity_str((kpaudit_severity) i));
    }
    for (i = 0; i < KP_REASONS; i++) {
        KP_ADD(m->rejected, t->rejected[i], reason_names[i]);
    }
    for (i = 0; i < 2; i++) {
        KP_ADD(m->markers, t->markers[i], marker_names[i]);
        KP_ADD(m->handed, t->handed[i], emitted_names[i]);
        KP_ADD(m->accepted, t->accepted[i], emitted_names[i]);
        KP_ADD(m->refused, t->refused[i], emitted_names[i]);
    }
#undef KP_ADD
    if (t->redacted > 0) {
        cmt_counter_add(m->redacted, ts, (double) t->redacted, 1, (char *[]) {name});
    }
}

/* ------------------------------------------------------------------------ */
/* The two modes                                                             */
/* ------------------------------------------------------------------------ */

/* An empty GROUP_END marker, closing a group re-opened around emitted runs. */
static const unsigned char group_end_marker[] = {
    0x92, 0x92, 0xd7, 0x00, 0xff, 0xff, 0xff, 0xfe,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x80
};

/*
 * A group marker: scanned like a record (its metadata and attributes come
 * from the sender, and an event timestamped one second before 1970 looks
 * exactly like one), then forwarded in place or kept to wrap emitted runs.
 */
static void group_marker(struct kp_call *c, size_t off, size_t end, int start)
{
    struct kp_ctx *ctx = c->ctx;
    kpaudit_result ret;
    const uint8_t *data;
    size_t len;

    if (start) {
        c->in_group = FLB_FALSE;
        c->group.len = 0;
    }
    ret = kpaudit_redact_msgpack(ctx->t, c->p + off, end - off, c->w->out, c->w->err);
    if (ret != KPAUDIT_OK) {
        reject(c, reason_of(ret), kpaudit_error_message(c->w->err), end - off);
        if (!start) {
            c->in_group = FLB_FALSE;
        }
        return;
    }
    data = kpaudit_output_data(c->w->out, &len);
    c->tally.redacted += kpaudit_output_redacted(c->w->out);
    c->tally.markers[start ? 0 : 1]++;
    if (!ctx->tag_prefix) {
        buf_add(&c->out, data, len);
    }
    if (start) {
        buf_add(&c->group, data, len);
        c->in_group = !c->group.failed;
    }
    else {
        c->in_group = FLB_FALSE;
    }
}

/* Emits one route's items under its tag, inside the open group if any. */
static void emit_route(struct kp_call *c, size_t r, const uint8_t *data,
                       size_t len, size_t events)
{
    struct kp_ctx *ctx = c->ctx;
    struct kp_buf tmp = {0};
    const char *buf = (const char *) data;
    size_t size = len;

    if (c->in_group) {
        buf_add(&tmp, c->group.data, c->group.len);
        buf_add(&tmp, data, len);
        buf_add(&tmp, group_end_marker, sizeof(group_end_marker));
        if (!tmp.failed) {
            buf = tmp.data;
            size = tmp.len;
        }
    }
    if (emitter_hand(c, KP_EMIT_EVENT, ctx->route_tags[r], buf, size, events) != 0) {
        /* the emitter is over its limit and the stash full: keep the
         * events, already transformed, under the original tag rather than
         * lose them */
        buf_add(&c->out, buf, size);
        c->w->kept[r] += events;
    }
    flb_free(tmp.data);
}

/* tag_prefix: route r's run of events to the emitter, in one append. */
static void flush_route(struct kp_call *c, size_t r)
{
    struct kp_buf *run = &c->w->runs[r];

    if (c->w->run_events[r] > 0) {
        c->tally.routed[r] += c->w->run_events[r];
        emit_route(c, r, (const uint8_t *) run->data, run->len, c->w->run_events[r]);
    }
    run->len = 0;
    c->w->run_events[r] = 0;
}

/* tag_prefix: every route's run. Called before a group marker (a run is
 * wrapped in the group its events were in) and at the end of the chunk. */
static void flush_runs(struct kp_call *c)
{
    size_t r;

    for (r = 0; r < c->ctx->n_routes; r++) {
        flush_route(c, r);
    }
}

/* tag_prefix: the event joins route r's run. If the run cannot grow (out
 * of memory), what it holds goes to the emitter now, and the event with
 * it if it does not fit the emptied run either: nothing is lost. */
static void join_run(struct kp_call *c, size_t r, const uint8_t *data, size_t len)
{
    struct kp_buf *run = &c->w->runs[r];

    buf_add(run, data, len);
    if (!run->failed) {
        c->w->run_events[r]++;
        return;
    }
    run->failed = 0;
    flush_route(c, r);
    buf_add(run, data, len);
    if (!run->failed) {
        c->w->run_events[r]++;
        return;
    }
    run->failed = 0;
    c->tally.routed[r]++;
    emit_route(c, r, data, len, 1);
}

/* The transformed item in c->w->out goes on: in its place (route_field),
 * or into its route's run (tag_prefix). */
static void keep_event(struct kp_call *c)
{
    struct kp_ctx *ctx = c->ctx;
    const uint8_t *data;
    size_t len, r;
    kpaudit_severity sev;

    data = kpaudit_output_data(c->w->out, &len);
    r = kpaudit_output_route_index(c->w->out);
    if (ctx->tag_prefix == NULL) {
        buf_add(&c->out, data, len);
        if (r < ctx->n_routes) {
            c->tally.routed[r]++;
            c->w->kept[r]++;
        }
    }
    else if (r < ctx->n_routes) {
        join_run(c, r, data, len);
    }
    else {
        /* kpaudit names a route for every event it accepts */
        reject(c, KP_INTERNAL, "kpaudit gave no route", len);
        return;
    }
    sev = kpaudit_output_severity(c->w->out);
    if ((unsigned) sev < KP_SEVERITIES) {
        c->tally.severity[sev]++;
    }
    c->tally.redacted += kpaudit_output_redacted(c->w->out);
}

/* An event kp_item_read judged: transformed on its own. */
static void one_event(struct kp_call *c, size_t off, size_t end)
{
    kpaudit_result ret;

    /* the whole item: kpaudit validates and strips the metadata header too */
    ret = kpaudit_transform_msgpack_item(c->ctx->t, c->p + off, end - off,
                                         c->w->out, c->w->err);
    if (ret != KPAUDIT_OK) {
        reject(c, reason_of(ret), kpaudit_error_message(c->w->err), end - off);
        return;
    }
    keep_event(c);
}

/*
 * The common case, read once: an item that opens as an ordinary
 * event (kp_item_plain_event) goes to kpaudit first, which transforms it
 * and tells where it ends, how deep it nests and whether its record holds
 * the unparsed-line member, so the plugin need not walk it. Returns the
 * offset past the item, or 0 when the item is left to kp_item_read (kpaudit
 * refused it, or Fluent Bit's decoder would: nested too deep), which then
 * classifies it as before; only such items are read twice.
 */
static size_t fast_event(struct kp_call *c, size_t off, size_t bytes)
{
    struct kp_ctx *ctx = c->ctx;
    struct kpaudit_item_info info;
    const char *key = ctx->rules.unparsed_key;
    size_t klen = key ? ctx->rules.unparsed_key_len : 0;

    c->refused = FLB_FALSE;
    if (!kp_item_plain_event(c->p, bytes, off)) {
        return 0;
    }
    if (kpaudit_transform_msgpack_next(ctx->t, c->p + off, bytes - off,
                                       (const uint8_t *) key, klen, c->w->out,
                                       &info, c->w->err) != KPAUDIT_OK) {
        c->refused = FLB_TRUE;
        return 0;
    }
    if (info.len == 0 || info.len > bytes - off ||
        info.nesting > ctx->rules.max_nesting) {
        return 0;
    }
    if (info.has_member) {
        reject(c, KP_UNPARSED, "the record holds the raw line its parser "
               "could not read", info.len);
    }
    else {
        keep_event(c);
    }
    return off + info.len;
}

static void work_free(struct kp_work *w, size_t n_routes)
{
    size_t r;

    kpaudit_output_free(w->out);
    kpaudit_error_free(w->err);
    flb_free(w->routed);
    flb_free(w->kept);
    if (w->runs) {
        for (r = 0; r < n_routes; r++) {
            flb_free(w->runs[r].data);
        }
    }
    flb_free(w->runs);
    flb_free(w->run_events);
    memset(w, 0, sizeof(*w));
}

static int work_new(struct kp_work *w, size_t n_routes)
{
    w->out = kpaudit_output_new();
    w->err = kpaudit_error_new();
    w->routed = flb_calloc(n_routes, sizeof(uint64_t));
    w->kept = flb_calloc(n_routes, sizeof(uint64_t));
    w->runs = flb_calloc(n_routes, sizeof(struct kp_buf));
    w->run_events = flb_calloc(n_routes, sizeof(size_t));
    if (!w->out || !w->err || !w->routed || !w->kept || !w->runs || !w->run_events) {
        work_free(w, n_routes);
        return -1;
    }
    return 0;
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
    struct kp_item item;
    int locked;
    size_t off, next, r;
    uint64_t lost = 0;
    int retag = ctx->tag_prefix != NULL;

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
    else if (work_new(&own, ctx->n_routes) == 0) {
        c.w = &own;
    }
    else {
        /* records must not pass untransformed: drop the chunk, counted */
        flb_plg_error(ctx->ins, "out of memory; %zu bytes dropped", bytes);
        cmt_counter_add(ctx->m.rejected, cfl_time_now(), (double) flb_mp_count(data, bytes),
                        2, (char *[]) {(char *) flb_filter_name(ctx->ins),
                                       (char *) reason_names[KP_INTERNAL]});
        *out_buf = NULL;
        *out_bytes = 0;
        return FLB_FILTER_MODIFIED;
    }
    memset(c.w->routed, 0, ctx->n_routes * sizeof(uint64_t));
    memset(c.w->kept, 0, ctx->n_routes * sizeof(uint64_t));
    c.tally.routed = c.w->routed;
    if (!retag) {
        /* records keep their place: the output is the input, each record
         * grown by its severity and route members or shrunk by redaction */
        buf_reserve(&c.out, bytes + bytes / 8 + 256);
    }

    off = 0;
    while (off < bytes) {
        if ((next = fast_event(&c, off, bytes)) != 0) {
            off = next;
            continue;
        }
        if (kp_item_read(c.p, bytes, off, &ctx->rules, &item) != 0) {
            /* the rest does not split into items: nothing of it goes on */
            reject(&c, KP_UNDECODABLE, "bytes do not form a whole MessagePack item",
                   bytes - off);
            break;
        }
        switch (item.kind) {
        case KP_ITEM_EVENT:
            one_event(&c, off, item.end);
            break;
        case KP_ITEM_UNPARSED:
            /* with msgpack.line_member kpaudit is the parser: its reason
             * (which quotes no byte of the line) says more */
            reject(&c, KP_UNPARSED, c.refused ? kpaudit_error_message(c.w->err) :
                   "the record holds the raw line its parser could not read",
                   item.end - off);
            break;
        case KP_ITEM_INVALID:
            reject(&c, KP_INVALID_FRAME, item.why, item.end - off);
            break;
        default:
            if (retag) {
                flush_runs(&c);
            }
            group_marker(&c, off, item.end, item.kind == KP_ITEM_GROUP_START);
        }
        off = item.end;
    }
    if (retag) {
        flush_runs(&c);
    }

    /* first: a dead letter kept in the chunk may be what makes it fail */
    dead_letters_flush(&c);
    if (c.out.failed) {
        /* the chunk could not grow, so none of it goes on: the events it
         * held are lost, and counted so rather than as routed */
        for (r = 0; r < ctx->n_routes; r++) {
            c.tally.routed[r] -= c.w->kept[r];
            lost += c.w->kept[r];
        }
        c.tally.rejected[KP_INTERNAL] += lost;
    }
    tally_flush(ctx, &c.tally);

    if (locked) {
        pthread_mutex_unlock(&ctx->work_lock);
    }
    else {
        work_free(&own, ctx->n_routes);
    }
    flb_free(c.group.data);

    if (c.out.failed) {
        flb_plg_error(ctx->ins, "out of memory; %zu bytes dropped, %llu events "
                      "counted as internal_error", bytes, (unsigned long long) lost);
        c.out.len = 0;
    }
    if (c.out.len == 0) {
        /* nothing goes on: no buffer either, as Fluent Bit expects */
        flb_free(c.out.data);
        c.out.data = NULL;
    }
    *out_buf = c.out.data;
    *out_bytes = c.out.len;
    return FLB_FILTER_MODIFIED;
}

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Errors about the settings go through the global logger: Fluent Bit
 * enables an instance's own logger (flb_plg_*) only at its init, so in
 * cb_pre_run (--dry-run, hot reload) flb_plg_error would say nothing.
 */
#define kp_error(ins, fmt, ...) \
    flb_error("[filter:kpaudit:%s] " fmt, flb_filter_name(ins), ##__VA_ARGS__)

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
static flb_sds_t config_with_field(struct flb_filter_instance *ins, const char *json,
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
        kp_error(ins, "config is not valid JSON");
        return NULL;
    }
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, mp, mp_size, &uoff) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP) {
        kp_error(ins, "config must be a JSON object");
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
        kp_error(ins, "config: route must be an object");
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
        kp_error(ins, "cannot compose the kpaudit config");
    }

done:
    msgpack_unpacked_destroy(&u);
    flb_free(mp);
    return merged;
}

/*
 * Checks the properties and builds the kpaudit transform they describe.
 * Used by cb_pre_run, which Fluent Bit also runs for --dry-run and before
 * a hot reload replaces the running pipeline, and by cb_init.
 */
static kpaudit_transform *settings_check(struct flb_filter_instance *ins,
                                         const struct kp_ctx *s)
{
    flb_sds_t file_text = NULL;
    flb_sds_t merged = NULL;
    const char *json = NULL;
    size_t json_len = 0;
    kpaudit_error *err = NULL;
    kpaudit_transform *t = NULL;

    if (kpaudit_abi_version() != KPAUDIT_ABI_VERSION) {
        kp_error(ins, "libkpaudit ABI %u, header ABI %u",
                      kpaudit_abi_version(), KPAUDIT_ABI_VERSION);
        return NULL;
    }
    if (!s->tag_prefix && !s->route_field) {
        kp_error(ins, "set tag_prefix (re-tag per route) or route_field "
                      "(write the route into the record)");
        return NULL;
    }
    if (s->config && s->config_file) {
        kp_error(ins, "set config or config_file, not both");
        return NULL;
    }
    if (s->unparsed_key && flb_sds_len(s->unparsed_key) > 255) {
        kp_error(ins, "unparsed_key is limited to 255 bytes");
        return NULL;
    }
    if (s->config_file) {
        file_text = flb_file_read(s->config_file);
        if (!file_text) {
            kp_error(ins, "cannot read config_file %s", s->config_file);
            return NULL;
        }
        json = file_text;
        json_len = flb_sds_len(file_text);
    }
    else if (s->config) {
        json = s->config;
        json_len = flb_sds_len(s->config);
    }
    if (s->route_field) {
        merged = config_with_field(ins, json, json_len, s->route_field);
        if (!merged) {
            flb_sds_destroy(file_text);
            return NULL;
        }
        json = merged;
        json_len = flb_sds_len(merged);
    }
    err = kpaudit_error_new();
    if (err && kpaudit_transform_new((const uint8_t *) json, json_len, &t, err) != KPAUDIT_OK) {
        kp_error(ins, "kpaudit config: %s", kpaudit_error_message(err));
        t = NULL;
    }
    kpaudit_error_free(err);
    flb_sds_destroy(file_text);
    flb_sds_destroy(merged);
    return t;
}

static int cb_kpaudit_pre_run(struct flb_filter_instance *ins,
                              struct flb_config *config, void *data)
{
    struct kp_ctx s;
    kpaudit_transform *t;
    (void) config;
    (void) data;

    /* the config map only points the fields at the properties: nothing to free */
    memset(&s, 0, sizeof(s));
    if (flb_filter_config_map_set(ins, &s) == -1) {
        return -1;
    }
    t = settings_check(ins, &s);
    if (!t) {
        return -1;
    }
    kpaudit_transform_free(t);
    return 0;
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

/* Registers the counters, every label value at 0 so that a scrape shows
 * them (and an alert can watch them) before the first event. */
static int metrics_create(struct kp_ctx *ctx)
{
    struct kp_metrics *m = &ctx->m;
    struct cmt *cmt = ctx->ins->cmt;
    char *name = (char *) flb_filter_name(ctx->ins);
    uint64_t ts = cfl_time_now();
    size_t i;

    if (!cmt) {
        return -1;
    }
#define KP_COUNTER(field, metric, help, label) \
    m->field = cmt_counter_create(cmt, "fluentbit", "filter", metric, help, \
                                  2, (char *[]) {"name", label}); \
    if (!m->field) return -1;

    KP_COUNTER(routed, "kpaudit_records_total",
               "Records transformed by kpaudit, per route", "route");
    KP_COUNTER(severity, "kpaudit_severity_records_total",
               "Records transformed by kpaudit, per severity", "severity");
    KP_COUNTER(rejected, "kpaudit_rejected_records_total",
               "Records not forwarded (dead letter or dropped), per reason", "reason");
    KP_COUNTER(markers, "kpaudit_group_markers_total",
               "Group markers scanned (forwarded, or wrapping re-tagged runs)", "kind");
    KP_COUNTER(handed, "kpaudit_emitter_handed_records_total",
               "Records handed to the plugin's emitter", "kind");
    KP_COUNTER(accepted, "kpaudit_emitter_accepted_records_total",
               "Records the plugin's emitter accepted", "kind");
    KP_COUNTER(refused, "kpaudit_emitter_refused_records_total",
               "Records the emitter could not take, kept under the original tag", "kind");
#undef KP_COUNTER
    m->redacted = cmt_counter_create(cmt, "fluentbit", "filter",
                                     "kpaudit_redacted_members_total",
                                     "Key-material members removed or masked",
                                     1, (char *[]) {"name"});
    if (!m->redacted) {
        return -1;
    }

#define KP_ZERO(counter, label) \
    cmt_counter_set((counter), ts, 0, 2, (char *[]) {name, (char *) (label)})
    for (i = 0; i < ctx->n_routes; i++) {
        KP_ZERO(m->routed, kpaudit_transform_route_name(ctx->t, i));
    }
    for (i = 0; i < KP_SEVERITIES; i++) {
        KP_ZERO(m->severity, kpaudit_severity_str((kpaudit_severity) i));
    }
    for (i = 0; i < KP_REASONS; i++) {
        KP_ZERO(m->rejected, reason_names[i]);
    }
    for (i = 0; i < 2; i++) {
        KP_ZERO(m->markers, marker_names[i]);
        KP_ZERO(m->handed, emitted_names[i]);
        KP_ZERO(m->accepted, emitted_names[i]);
        KP_ZERO(m->refused, emitted_names[i]);
    }
#undef KP_ZERO
    cmt_counter_set(m->redacted, ts, 0, 1, (char *[]) {name});
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
    if (ctx->stash_timer) {
        flb_sched_timer_cb_destroy(ctx->stash_timer);
    }
    while (ctx->stash_head) {
        struct kp_stashed *e = ctx->stash_head;

        ctx->stash_head = e->next;
        flb_free(e);
    }
    work_free(&ctx->work, ctx->n_routes);
    kpaudit_transform_free(ctx->t);
    pthread_mutex_destroy(&ctx->work_lock);
    pthread_mutex_destroy(&ctx->stash_lock);
    flb_free(ctx);
}

static int cb_kpaudit_init(struct flb_filter_instance *ins,
                           struct flb_config *config, void *data)
{
    struct kp_ctx *ctx;
    size_t r;
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
    pthread_mutex_init(&ctx->stash_lock, NULL);

    if (flb_filter_config_map_set(ins, ctx) == -1) {
        ctx_destroy(ctx);
        return -1;
    }
    ctx->t = settings_check(ins, ctx);
    if (!ctx->t) {
        goto fail;
    }
    ctx->n_routes = kpaudit_transform_route_count(ctx->t);
    if (work_new(&ctx->work, ctx->n_routes) != 0) {
        goto fail;
    }
    ctx->route_tags = flb_calloc(ctx->n_routes, sizeof(flb_sds_t));
    if (!ctx->route_tags) {
        flb_errno();
        goto fail;
    }
    if (ctx->tag_prefix) {
        for (r = 0; r < ctx->n_routes; r++) {
            const char *route = kpaudit_transform_route_name(ctx->t, r);

            ctx->route_tags[r] = flb_sds_create(ctx->tag_prefix);
            if (!ctx->route_tags[r] ||
                flb_sds_cat_safe(&ctx->route_tags[r], route, (int) strlen(route)) != 0) {
                goto fail;
            }
        }
    }

    ctx->rules.timestamps = KP_TIMESTAMP_RULES;
    ctx->rules.max_nesting = MSGPACK_EMBED_STACK_SIZE;
    ctx->rules.unparsed_key = ctx->unparsed_key;
    ctx->rules.unparsed_key_len = ctx->unparsed_key ? flb_sds_len(ctx->unparsed_key) : 0;

    if (metrics_create(ctx) != 0) {
        flb_plg_error(ins, "cannot register the metrics");
        goto fail;
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
        if (flb_sched_timer_cb_create(config->sched, FLB_SCHED_TIMER_CB_PERM, 25,
                                      stash_drain, ctx, &ctx->stash_timer) != 0) {
            flb_plg_error(ins, "cannot create the timer of the emitter stash");
            goto fail;
        }
    }

    flb_plg_info(ins, "kpaudit %s (ABI %u) in Fluent Bit %s, %zu routes; %s%s%s%s, "
                 "dead letters %s%s, unparsed_key %s, config %s",
                 kpaudit_version(), kpaudit_abi_version(), kp_host_version(), ctx->n_routes,
                 ctx->tag_prefix ? "tag_prefix " : "",
                 ctx->tag_prefix ? ctx->tag_prefix : "",
                 ctx->route_field ? (ctx->tag_prefix ? ", route_field " : "route_field ") : "",
                 ctx->route_field ? ctx->route_field : "",
                 ctx->dead_letter_tag ? "-> " : "dropped (no dead_letter_tag)",
                 ctx->dead_letter_tag ? ctx->dead_letter_tag : "",
                 ctx->rules.unparsed_key_len ? ctx->unparsed_key : "(off)",
                 ctx->config_file ? ctx->config_file :
                 (ctx->config ? "inline" : "built-in defaults"));
    for (r = 0; r < ctx->n_routes; r++) {
        flb_plg_debug(ins, "route %zu: %s%s%s", r, kpaudit_transform_route_name(ctx->t, r),
                      ctx->tag_prefix ? " -> tag " : "",
                      ctx->tag_prefix ? ctx->route_tags[r] : "");
    }

    flb_filter_set_context(ins, ctx);
    return 0;

fail:
    ctx_destroy(ctx);
    return -1;
}

/* The value of one of our counters, for the exit summary. */
static uint64_t metric(struct kp_ctx *ctx, struct cmt_counter *c, const char *label)
{
    double v = 0;
    char *name = (char *) flb_filter_name(ctx->ins);

    if (label) {
        cmt_counter_get_val(c, 2, (char *[]) {name, (char *) label}, &v);
    }
    else {
        cmt_counter_get_val(c, 1, (char *[]) {name}, &v);
    }
    return (uint64_t) v;
}

/*
 * Records still in the emitter's chunks when the filter exits (Fluent Bit
 * exits filters after it stopped flushing, when the Grace period ran out):
 * never given to an output (`waiting`), or in a task that was still running
 * (`in_flight`: an output may or may not have written them).
 */
static void emitter_leftovers(struct kp_ctx *ctx, uint64_t *waiting, uint64_t *in_flight)
{
    struct mk_list *head;
    struct flb_input_chunk *ic;
    uint64_t n;

    *waiting = 0;
    *in_flight = 0;
    if (!ctx->emitter) {
        return;
    }
    mk_list_foreach(head, &ctx->emitter->chunks) {
        ic = mk_list_entry(head, struct flb_input_chunk, _head);
#ifdef FLB_HAVE_METRICS
        n = ic->total_records > 0 ? (uint64_t) ic->total_records : 0;
#else
        n = 1;   /* without metrics Fluent Bit does not count: chunks */
#endif
        if (ic->task) {
            *in_flight += n;
        }
        else {
            *waiting += n;
        }
    }
}

static int cb_kpaudit_exit(void *data, struct flb_config *config)
{
    struct kp_ctx *ctx = data;
    struct kp_metrics *m;
    size_t r;
    uint64_t waiting, in_flight;
    (void) config;

    if (!ctx) {
        return 0;
    }
    m = &ctx->m;
    for (r = 0; r < ctx->n_routes; r++) {
        flb_plg_info(ctx->ins, "route %-12s records %" PRIu64,
                     kpaudit_transform_route_name(ctx->t, r),
                     metric(ctx, m->routed, kpaudit_transform_route_name(ctx->t, r)));
    }
    flb_plg_info(ctx->ins, "severity normal %" PRIu64 ", warning %" PRIu64
                 ", critical %" PRIu64 "; members redacted %" PRIu64
                 "; group markers %" PRIu64 " start, %" PRIu64 " end",
                 metric(ctx, m->severity, "normal"), metric(ctx, m->severity, "warning"),
                 metric(ctx, m->severity, "critical"), metric(ctx, m->redacted, NULL),
                 metric(ctx, m->markers, "start"), metric(ctx, m->markers, "end"));
    flb_plg_info(ctx->ins, "rejected: invalid_event %" PRIu64 ", event_too_large %" PRIu64
                 ", unparsed %" PRIu64 ", invalid_frame %" PRIu64 ", undecodable %" PRIu64
                 ", internal_error %" PRIu64,
                 metric(ctx, m->rejected, "invalid_event"),
                 metric(ctx, m->rejected, "event_too_large"),
                 metric(ctx, m->rejected, "unparsed"),
                 metric(ctx, m->rejected, "invalid_frame"),
                 metric(ctx, m->rejected, "undecodable"),
                 metric(ctx, m->rejected, "internal_error"));
    if (ctx->emitter) {
        flb_plg_info(ctx->ins, "emitter: events handed %" PRIu64 ", accepted %" PRIu64
                     ", refused %" PRIu64 "; dead letters handed %" PRIu64 ", accepted %"
                     PRIu64 ", refused %" PRIu64 "; at most %zu records waited for it",
                     metric(ctx, m->handed, "event"), metric(ctx, m->accepted, "event"),
                     metric(ctx, m->refused, "event"), metric(ctx, m->handed, "dead_letter"),
                     metric(ctx, m->accepted, "dead_letter"),
                     metric(ctx, m->refused, "dead_letter"), ctx->stash_peak);
        if (ctx->stash_records > 0) {
            flb_plg_warn(ctx->ins, "Fluent Bit stopped with %zu records still waiting "
                         "for its emitter (over its memory limit, or handed by a "
                         "threaded input since the last timer tick): lost; raise "
                         "emitter_mem_buf_limit or Grace", ctx->stash_records);
        }
        emitter_leftovers(ctx, &waiting, &in_flight);
        if (waiting > 0 || in_flight > 0) {
            flb_plg_warn(ctx->ins, "Fluent Bit stopped with records re-tagged by kpaudit "
                         "still in its emitter: %" PRIu64 " never given to an output (lost), "
                         "%" PRIu64 " in output tasks still running (maybe written); "
                         "raise the service's Grace", waiting, in_flight);
        }
    }
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
     "a record holding this member (whatever else it holds) is a line its "
     "parser failed on: rejected, not forwarded (empty to turn off)"
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
    .cb_pre_run  = cb_kpaudit_pre_run,
    .cb_init     = cb_kpaudit_init,
    .cb_filter   = cb_kpaudit_filter,
    .cb_exit     = cb_kpaudit_exit,
    .config_map  = config_map,
    .flags       = 0
};
