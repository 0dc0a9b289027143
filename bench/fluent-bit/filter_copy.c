/*
 * filter_copy: the cost Fluent Bit itself pays for a filter that modifies a
 * chunk, with no work done on it. It returns an exact copy of every chunk
 * as FLB_FILTER_MODIFIED, so Fluent Bit takes the copy, counts its records
 * again and replaces the chunk, as it does for kpaudit. bench.sh runs it as
 * the `copy` pipeline: kpaudit's cost beyond it is kpaudit's own.
 * Built only for the benchmark (-DKPAUDIT_BENCH_COPY=On).
 */

#include <fluent-bit/flb_filter_plugin.h>
#include <fluent-bit/flb_mem.h>

#include <string.h>

static int cb_copy_init(struct flb_filter_instance *ins, struct flb_config *config, void *data)
{
    (void) ins;
    (void) config;
    (void) data;
    return 0;
}

static int cb_copy_filter(const void *data, size_t bytes,
                          const char *tag, int tag_len,
                          void **out_buf, size_t *out_bytes,
                          struct flb_filter_instance *f_ins,
                          struct flb_input_instance *i_ins,
                          void *filter_context,
                          struct flb_config *config)
{
    void *copy;

    (void) tag;
    (void) tag_len;
    (void) f_ins;
    (void) i_ins;
    (void) filter_context;
    (void) config;
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
    (void) data;
    (void) config;
    return 0;
}

struct flb_filter_plugin filter_copy_plugin = {
    .event_type  = FLB_FILTER_LOGS,
    .name        = "copy",
    .description = "benchmark: returns each chunk unchanged, as modified",
    .cb_init     = cb_copy_init,
    .cb_filter   = cb_copy_filter,
    .cb_exit     = cb_copy_exit,
    .flags       = 0
};
