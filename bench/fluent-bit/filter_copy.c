/*
 * filter_copy: the cost Fluent Bit itself pays for a filter that modifies a
 * chunk, with no work done on it. bench.sh runs it two ways:
 *
 *   copy      it returns an exact copy of every chunk as FLB_FILTER_MODIFIED,
 *             so Fluent Bit takes the copy, counts its records again and
 *             replaces the chunk, as it does for kpaudit with route_field;
 *   copy-tag  with `retag TAG` it hands every chunk unchanged to an emitter
 *             input under TAG and drops it from the original tag, so the
 *             records are appended to new chunks and travel again, as they
 *             do for kpaudit with tag_prefix (which re-tags them by route);
 *   copy-split  with `retag TAG` and `retag_split N` it cuts every chunk
 *             into N runs of consecutive records (by count, the last ones
 *             shorter) and hands each run to the emitter under TAG.0 ..
 *             TAG.N-1: N appends under N tags per chunk, which is what
 *             re-tagging by route costs Fluent Bit when a chunk holds N
 *             routes (tag_prefix makes one append per route in the chunk);
 *   copy-hold   the same with `retag_hold BYTES`: each tag's runs are
 *             gathered until BYTES have come, then appended together: what
 *             holding records across calls would spare Fluent Bit (what is
 *             still gathered when Fluent Bit stops is dropped: a baseline of
 *             cost only, and the reason kpaudit does not hold records).
 *
 * kpaudit's cost beyond the matching pipeline is kpaudit's own. Built only
 * for the benchmark (-DKPAUDIT_BENCH_COPY=On).
 */

#include <fluent-bit/flb_filter.h>
#include <fluent-bit/flb_filter_plugin.h>
#include <fluent-bit/flb_input.h>
#include <fluent-bit/flb_input_log.h>
#include <fluent-bit/flb_storage.h>
#include <fluent-bit/flb_mem.h>
#include <fluent-bit/flb_utils.h>

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

#include "kp_items.h"

#define COPY_MAX_SPLIT 64

struct copy_ctx {
    const char *retag;                   /* NULL: the `copy` way */
    struct flb_input_instance *emitter;
    int split;                           /* runs per chunk, 1 .. COPY_MAX_SPLIT */
    size_t hold;                         /* bytes gathered per tag before an append */
    struct { char *data; size_t len, cap; } held[COPY_MAX_SPLIT];
    char tags[COPY_MAX_SPLIT][128];
};

static int emitter_create(struct copy_ctx *ctx, struct flb_config *config)
{
    struct flb_input_instance *in = flb_input_new(config, "emitter", NULL, FLB_FALSE);

    if (!in) {
        return -1;
    }
    flb_input_set_property(in, "alias", "copy_emitter");
    flb_input_set_property(in, "storage.type", "memory");
    flb_input_set_property(in, "mem_buf_limit", "512M");
    if (flb_input_instance_init(in, config) == -1 ||
        flb_storage_input_create(config->cio, in) == -1) {
        flb_input_instance_exit(in, config);
        flb_input_instance_destroy(in);
        return -1;
    }
    ctx->emitter = in;
    return 0;
}

static int cb_copy_init(struct flb_filter_instance *ins, struct flb_config *config, void *data)
{
    struct copy_ctx *ctx;
    (void) data;

    ctx = flb_calloc(1, sizeof(*ctx));
    if (!ctx) {
        return -1;
    }
    ctx->retag = flb_filter_get_property("retag", ins);
    ctx->split = 1;
    if (flb_filter_get_property("retag_hold", ins)) {
        int64_t hold = flb_utils_size_to_bytes(flb_filter_get_property("retag_hold", ins));
        ctx->hold = hold > 0 ? (size_t) hold : 0;
    }
    if (flb_filter_get_property("retag_split", ins)) {
        ctx->split = atoi(flb_filter_get_property("retag_split", ins));
    }
    if (ctx->split < 1 || ctx->split > COPY_MAX_SPLIT || (ctx->split > 1 && !ctx->retag)) {
        flb_error("[filter_copy] retag_split must be 1 to %d, with retag", COPY_MAX_SPLIT);
        flb_free(ctx);
        return -1;
    }
    for (int i = 0; i < ctx->split; i++) {
        snprintf(ctx->tags[i], sizeof(ctx->tags[i]), "%s.%d", ctx->retag ? ctx->retag : "", i);
    }
    if (ctx->retag && emitter_create(ctx, config) != 0) {
        flb_free(ctx);
        return -1;
    }
    flb_filter_set_context(ins, ctx);
    return 0;
}

/* Hands one run to the emitter under tag `run`, or gathers it first. */
static void append_run(struct copy_ctx *ctx, int run, const unsigned char *p, size_t len)
{
    char *grown;

    if (ctx->hold == 0) {
        flb_input_log_append(ctx->emitter, ctx->tags[run], strlen(ctx->tags[run]), p, len);
        return;
    }
    if (ctx->held[run].len + len > ctx->held[run].cap) {
        grown = flb_realloc(ctx->held[run].data, ctx->held[run].len + len + ctx->hold);
        if (!grown) {
            return;
        }
        ctx->held[run].data = grown;
        ctx->held[run].cap = ctx->held[run].len + len + ctx->hold;
    }
    memcpy(ctx->held[run].data + ctx->held[run].len, p, len);
    ctx->held[run].len += len;
    if (ctx->held[run].len >= ctx->hold) {
        flb_input_log_append(ctx->emitter, ctx->tags[run], strlen(ctx->tags[run]),
                             ctx->held[run].data, ctx->held[run].len);
        ctx->held[run].len = 0;
    }
}

static int cb_copy_filter(const void *data, size_t bytes,
                          const char *tag, int tag_len,
                          void **out_buf, size_t *out_bytes,
                          struct flb_filter_instance *f_ins,
                          struct flb_input_instance *i_ins,
                          void *filter_context,
                          struct flb_config *config)
{
    struct copy_ctx *ctx = filter_context;
    void *copy;

    (void) tag;
    (void) tag_len;
    (void) f_ins;
    (void) config;
    if (ctx->emitter && ctx->split > 1) {
        const unsigned char *p = data;
        size_t n = 0, off = 0, at = 0, per, k = 0, next;
        int run = 0;

        if (i_ins == ctx->emitter) {
            return FLB_FILTER_NOTOUCH;
        }
        while (off < bytes && (next = kp_mp_skip(p, bytes, off)) != 0) {
            off = next;
            n++;
        }
        if (off != bytes) {
            return FLB_FILTER_NOTOUCH;
        }
        per = (n + ctx->split - 1) / ctx->split;
        for (off = 0; off < bytes; off = kp_mp_skip(p, bytes, off)) {
            if (k == per) {
                append_run(ctx, run, p + at, off - at);
                run++;
                at = off;
                k = 0;
            }
            k++;
        }
        if (at < bytes) {
            append_run(ctx, run, p + at, bytes - at);
        }
        *out_buf = NULL;
        *out_bytes = 0;
        return FLB_FILTER_MODIFIED;
    }
    if (ctx->emitter) {
        if (i_ins == ctx->emitter ||
            flb_input_log_append(ctx->emitter, ctx->retag, strlen(ctx->retag), data, bytes) != 0) {
            return FLB_FILTER_NOTOUCH;
        }
        *out_buf = NULL;
        *out_bytes = 0;
        return FLB_FILTER_MODIFIED;
    }
    copy = flb_malloc(bytes > 0 ? bytes : 1);
    if (!copy) {
        return FLB_FILTER_NOTOUCH;
    }
    memcpy(copy, data, bytes);
    *out_buf = copy;
    *out_bytes = bytes;
    return FLB_FILTER_MODIFIED;
}

static int cb_copy_exit(void *data, struct flb_config *config)
{
    struct copy_ctx *ctx = data;
    (void) config;
    for (int i = 0; ctx && i < COPY_MAX_SPLIT; i++) {
        flb_free(ctx->held[i].data);
    }
    flb_free(data);
    return 0;
}

static struct flb_config_map config_map[] = {
    {
     .type = FLB_CONFIG_MAP_STR, .name = "retag", .def_value = NULL,
     .desc = "hand each chunk unchanged to an emitter under this tag"
    },
    {
     .type = FLB_CONFIG_MAP_INT, .name = "retag_split", .def_value = "1",
     .desc = "with retag: cut each chunk into this many runs of records, tagged TAG.0 .. TAG.N-1"
    },
    {
     .type = FLB_CONFIG_MAP_SIZE, .name = "retag_hold", .def_value = "0",
     .desc = "with retag_split: gather each tag's runs until this many bytes, then append them together"
    },
    {0}
};

struct flb_filter_plugin filter_copy_plugin = {
    .event_type  = FLB_FILTER_LOGS,
    .name        = "copy",
    .description = "benchmark: returns each chunk unchanged, as modified, or re-tagged",
    .cb_init     = cb_copy_init,
    .cb_filter   = cb_copy_filter,
    .cb_exit     = cb_copy_exit,
    .config_map  = config_map,
    .flags       = 0
};
