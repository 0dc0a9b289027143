/*
 * kpaudit_host: an example host with the shape of a log shipper's filter.
 *
 *     kpaudit_host [--config FILE] [--append] OUTDIR < events.ndjson
 *
 * Reads NDJSON events from stdin, one per line, and runs each through one
 * kpaudit transform. Every transformed event is written, followed by a
 * newline, to OUTDIR/<route>.ndjson. A rejected line is never written
 * anywhere (it may hold key material): OUTDIR/dead-letter.ndjson gets a
 * record of it, {"error", "input", "line", "message"}, whose message (the
 * library's) never quotes the event. That is the project's one output
 * layout, the `kpaudit run` command's too. OUTDIR must be empty or new,
 * unless --append says to add to its files.
 *
 * At the end a summary goes to stdout: lines read, emitted and rejected,
 * events per route and per severity, members redacted, and the rejected
 * lines grouped by result code with the first few examples.
 *
 * Exit status: 0 when the input was processed (rejected lines included),
 * 2 on a usage, configuration or I/O error (with a message on stderr).
 *
 * Build (from the repository root, after `cargo build`):
 *
 *     gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude \
 *         examples/c/kpaudit_host.c target/debug/libkpaudit.a \
 *         -lpthread -ldl -lm -o kpaudit_host
 */

#define _POSIX_C_SOURCE 200809L

#include "kpaudit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#define EXIT_TROUBLE 2

/* How many rejected lines are quoted (by number and message) per code. */
#define MAX_EXAMPLES 3

/* Result codes known to this host; anything above goes to the last slot. */
#define KNOWN_CODES 6
#define CODE_SLOTS (KNOWN_CODES + 1)

/* Severities known to this host; anything else goes to the last slot. */
#define SEVERITY_SLOTS 4

static const char *g_prog = "kpaudit_host";

/* One route: the library's name for it and the file its events go to. */
struct route {
    const char *name; /* borrowed from the transform */
    char *path;       /* OUTDIR/<sanitized name>.ndjson */
    FILE *file;       /* opened on the first event; shared by routes whose
                         sanitized file names collide */
    struct route *file_owner; /* the route that owns `file` (may be itself) */
    uint64_t events;
};

struct example {
    uint64_t line;
    char *message;
};

struct rejections {
    uint64_t count;
    size_t examples_len;
    struct example examples[MAX_EXAMPLES];
};

struct host {
    kpaudit_transform *transform;
    kpaudit_output *output;
    kpaudit_error *error;
    struct route *routes;
    size_t routes_len;
    char *line;
    size_t line_cap;

    FILE *dead_letters; /* OUTDIR/dead-letter.ndjson */
    char *dead_path;
    int append;

    uint64_t input_lines;
    uint64_t emitted;
    uint64_t rejected;
    uint64_t redacted;
    uint64_t by_severity[SEVERITY_SLOTS];
    struct rejections by_code[CODE_SLOTS];
};

static void usage(FILE *to)
{
    fprintf(to,
            "Usage: %s [--config FILE] [--append] OUTDIR < events.ndjson\n"
            "\n"
            "Transforms NDJSON Key Protect audit events from stdin with kpaudit and\n"
            "writes each one to OUTDIR/<route>.ndjson. A rejected line is recorded in\n"
            "OUTDIR/dead-letter.ndjson (line number and reason, never its bytes).\n"
            "Prints a summary to stdout.\n"
            "\n"
            "Options:\n"
            "  --config FILE  kpaudit configuration (JSON); default: built-in tables\n"
            "  --append       add to the files of an OUTDIR that is not empty\n"
            "  -h, --help     print this help\n"
            "\n"
            "Exit status: 0 when the input was processed (even with rejected lines),\n"
            "2 on a usage, configuration or I/O error.\n",
            g_prog);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */

/* Reads a whole file into a malloc'd buffer. Returns 0 on success. */
static int read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t used = 0, cap = 0;
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open config file %s: %s\n", g_prog, path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;
        if (cap - used < 4096) {
            size_t new_cap = cap ? cap * 2 : 8192;
            uint8_t *grown = (uint8_t *)realloc(buf, new_cap);
            if (grown == NULL) {
                fprintf(stderr, "%s: out of memory reading %s\n", g_prog, path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = grown;
            cap = new_cap;
        }
        got = fread(buf + used, 1, cap - used, f);
        used += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: error reading config file %s\n", g_prog, path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = used;
    return 0;
}

/* OUTDIR/<name>.ndjson, with every byte of the name outside [A-Za-z0-9._-]
 * replaced by '_' (route names come from configuration and may hold '/'). */
static char *route_path(const char *outdir, const char *name)
{
    static const char suffix[] = ".ndjson";
    size_t dir_len = strlen(outdir);
    size_t name_len = strlen(name);
    char *path = (char *)malloc(dir_len + 1 + name_len + sizeof suffix);
    char *p;
    size_t i;
    if (path == NULL) {
        return NULL;
    }
    memcpy(path, outdir, dir_len);
    p = path + dir_len;
    *p++ = '/';
    for (i = 0; i < name_len; i++) {
        char c = name[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
        *p++ = ok ? c : '_';
    }
    memcpy(p, suffix, sizeof suffix);
    return path;
}

/* The route table, from kpaudit_transform_route_count/route_name. Files are
 * opened on first use, so a route without events leaves no empty file. */
static int build_routes(struct host *h, const char *outdir)
{
    size_t n = kpaudit_transform_route_count(h->transform);
    size_t i, j;
    if (n == 0) {
        fprintf(stderr, "%s: the transform reports no routes\n", g_prog);
        return -1;
    }
    h->routes = (struct route *)calloc(n, sizeof *h->routes);
    if (h->routes == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        return -1;
    }
    h->routes_len = n;
    for (i = 0; i < n; i++) {
        struct route *r = &h->routes[i];
        r->name = kpaudit_transform_route_name(h->transform, i);
        r->path = route_path(outdir, r->name);
        if (r->path == NULL) {
            fprintf(stderr, "%s: out of memory\n", g_prog);
            return -1;
        }
        r->file_owner = r;
        if (strcmp(r->path, h->dead_path) == 0) {
            fprintf(stderr, "%s: route \"%s\" would write the dead letters' file; rename it in the configuration\n",
                    g_prog, r->name);
            return -1;
        }
        /* Two names may sanitize to one file name: they share one stream,
         * so that their lines never interleave mid-line. */
        for (j = 0; j < i; j++) {
            if (strcmp(h->routes[j].path, r->path) == 0) {
                r->file_owner = h->routes[j].file_owner;
                break;
            }
        }
    }
    return 0;
}

/* OUTDIR exists (created if not) and, unless appending, holds nothing: a
 * second run into the same directory must not add silently. Then the dead
 * letters' file is opened, so that it is there even when nothing is
 * rejected. */
static int open_outdir(struct host *h, const char *outdir)
{
    struct stat st;
    DIR *dir;
    struct dirent *entry;
    static const char dead[] = "/dead-letter.ndjson";
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot create output directory %s: %s\n", g_prog, outdir, strerror(errno));
        return -1;
    }
    if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s is not a directory\n", g_prog, outdir);
        return -1;
    }
    if (!h->append) {
        dir = opendir(outdir);
        if (dir == NULL) {
            fprintf(stderr, "%s: cannot read %s: %s\n", g_prog, outdir, strerror(errno));
            return -1;
        }
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
                closedir(dir);
                fprintf(stderr, "%s: %s is not empty: give an empty or new directory, or --append\n", g_prog,
                        outdir);
                return -1;
            }
        }
        closedir(dir);
    }
    h->dead_path = (char *)malloc(strlen(outdir) + sizeof dead);
    if (h->dead_path == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        return -1;
    }
    memcpy(h->dead_path, outdir, strlen(outdir));
    memcpy(h->dead_path + strlen(outdir), dead, sizeof dead);
    h->dead_letters = fopen(h->dead_path, h->append ? "ab" : "wb");
    if (h->dead_letters == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", g_prog, h->dead_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* `s` as a JSON string literal (messages are printable ASCII, but may hold
 * a quote or a backslash). */
static void put_json_string(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}

static const char *error_name(kpaudit_result code)
{
    switch (code) {
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

/* ------------------------------------------------------------------------ */
/* Per event                                                                */

static struct route *find_route(struct host *h, const char *name)
{
    size_t i;
    for (i = 0; i < h->routes_len; i++) {
        if (strcmp(h->routes[i].name, name) == 0) {
            return &h->routes[i];
        }
    }
    return NULL;
}

static int emit(struct host *h, const uint8_t *data, size_t len)
{
    const char *name = kpaudit_output_route(h->output);
    struct route *r = find_route(h, name);
    struct route *owner;
    kpaudit_severity sev = kpaudit_output_severity(h->output);
    if (r == NULL) {
        /* The header promises every route is in route_name(0..count). */
        fprintf(stderr, "%s: line %" PRIu64 ": route \"%s\" is not in the transform's route list\n", g_prog,
                h->input_lines, name);
        return -1;
    }
    owner = r->file_owner;
    if (owner->file == NULL) {
        owner->file = fopen(owner->path, h->append ? "ab" : "wb");
        if (owner->file == NULL) {
            fprintf(stderr, "%s: cannot open %s: %s\n", g_prog, owner->path, strerror(errno));
            return -1;
        }
    }
    if (fwrite(data, 1, len, owner->file) != len || putc('\n', owner->file) == EOF) {
        fprintf(stderr, "%s: error writing %s: %s\n", g_prog, owner->path, strerror(errno));
        return -1;
    }
    r->events++;
    h->emitted++;
    h->redacted += kpaudit_output_redacted(h->output);
    h->by_severity[(unsigned)sev < SEVERITY_SLOTS - 1 ? (unsigned)sev : SEVERITY_SLOTS - 1]++;
    return 0;
}

static int reject(struct host *h, kpaudit_result code)
{
    unsigned slot = (unsigned)code < KNOWN_CODES ? (unsigned)code : CODE_SLOTS - 1;
    struct rejections *rej = &h->by_code[slot];
    h->rejected++;
    rej->count++;
    /* The dead letter: where and why, never the line. */
    fprintf(h->dead_letters, "{\"error\":\"%s\",\"input\":\"-\",\"line\":%" PRIu64 ",\"message\":",
            error_name(code), h->input_lines);
    put_json_string(h->dead_letters, kpaudit_error_message(h->error));
    if (fputs("}\n", h->dead_letters) == EOF) {
        fprintf(stderr, "%s: error writing %s: %s\n", g_prog, h->dead_path, strerror(errno));
        return -1;
    }
    if (rej->examples_len < MAX_EXAMPLES) {
        /* The message never quotes the event, so it is safe to keep. */
        char *copy = strdup(kpaudit_error_message(h->error));
        if (copy == NULL) {
            fprintf(stderr, "%s: out of memory\n", g_prog);
            return -1;
        }
        rej->examples[rej->examples_len].line = h->input_lines;
        rej->examples[rej->examples_len].message = copy;
        rej->examples_len++;
    }
    return 0;
}

/* Reads stdin to its end. getline() grows the buffer to the longest line:
 * a line over the library's limit is still read whole (and then rejected
 * as too large without being parsed). */
static int process_input(struct host *h)
{
    for (;;) {
        ssize_t got;
        size_t len;
        kpaudit_result r;

        errno = 0;
        got = getline(&h->line, &h->line_cap, stdin);
        if (got < 0) {
            if (ferror(stdin)) {
                fprintf(stderr, "%s: error reading stdin: %s\n", g_prog, strerror(errno));
                return -1;
            }
            return 0; /* end of input */
        }
        h->input_lines++;
        len = (size_t)got;
        /* The newline ends the line (CRLF too); a last line without one is
         * a line too. Lengths, not strlen: a line may hold NUL bytes. */
        if (len > 0 && h->line[len - 1] == '\n') {
            len--;
            if (len > 0 && h->line[len - 1] == '\r') {
                len--;
            }
        }
        /* An empty line is passed as the empty event: rejected, counted. */
        r = kpaudit_transform_event(h->transform, (const uint8_t *)h->line, len, h->output, h->error);
        if (r == KPAUDIT_OK) {
            size_t out_len = 0;
            const uint8_t *data = kpaudit_output_data(h->output, &out_len);
            if (data == NULL || out_len == 0) {
                fprintf(stderr, "%s: line %" PRIu64 ": transform succeeded without data\n", g_prog,
                        h->input_lines);
                return -1;
            }
            if (emit(h, data, out_len) != 0) {
                return -1;
            }
        } else if (r == KPAUDIT_NULL_ARGUMENT) {
            /* Only a bug in this host passes NULL: stop rather than count it. */
            fprintf(stderr, "%s: line %" PRIu64 ": %s\n", g_prog, h->input_lines, kpaudit_error_message(h->error));
            return -1;
        } else if (reject(h, r) != 0) {
            return -1;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Summary and teardown                                                     */

static int compare_route_names(const void *a, const void *b)
{
    const struct route *ra = *(const struct route *const *)a;
    const struct route *rb = *(const struct route *const *)b;
    return strcmp(ra->name, rb->name);
}

static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int print_summary(struct host *h)
{
    struct route **sorted = NULL;
    size_t i, j;
    unsigned s;

    sorted = (struct route **)malloc((h->routes_len + 1) * sizeof *sorted);
    if (sorted == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        return -1;
    }
    for (i = 0; i < h->routes_len; i++) {
        sorted[i] = &h->routes[i];
    }
    qsort(sorted, h->routes_len, sizeof *sorted, compare_route_names);

    printf("kpaudit %s summary\n", kpaudit_version());
    printf("input lines: %" PRIu64 "\n", h->input_lines);
    printf("emitted: %" PRIu64 "\n", h->emitted);
    printf("rejected: %" PRIu64 "\n", h->rejected);
    printf("members redacted: %" PRIu64 "\n", h->redacted);

    printf("events per route:\n");
    for (i = 0; i < h->routes_len; i++) {
        if (sorted[i]->events > 0) {
            printf("  %-20s %10" PRIu64 "  -> %s\n", sorted[i]->name, sorted[i]->events,
                   file_name(sorted[i]->file_owner->path));
        }
    }

    printf("events per severity:\n");
    for (s = 0; s < SEVERITY_SLOTS; s++) {
        if (s < SEVERITY_SLOTS - 1 || h->by_severity[s] > 0) {
            printf("  %-20s %10" PRIu64 "\n", kpaudit_severity_str((kpaudit_severity)s), h->by_severity[s]);
        }
    }

    printf("rejected by result:%s\n", h->rejected == 0 ? " none" : "");
    for (i = 0; i < CODE_SLOTS; i++) {
        const struct rejections *rej = &h->by_code[i];
        if (rej->count == 0) {
            continue;
        }
        if (i < KNOWN_CODES) {
            printf("  %s: %" PRIu64 "\n", kpaudit_result_str((kpaudit_result)i), rej->count);
        } else {
            printf("  (a result code unknown to this host): %" PRIu64 "\n", rej->count);
        }
        for (j = 0; j < rej->examples_len; j++) {
            printf("    line %" PRIu64 ": %s\n", rej->examples[j].line, rej->examples[j].message);
        }
    }
    printf("dead letters: %" PRIu64 "  -> dead-letter.ndjson\n", h->rejected);
    free(sorted);

    if (h->input_lines != h->emitted + h->rejected) {
        fprintf(stderr, "%s: internal error: %" PRIu64 " lines != %" PRIu64 " emitted + %" PRIu64 " rejected\n",
                g_prog, h->input_lines, h->emitted, h->rejected);
        return -1;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error writing the summary: %s\n", g_prog, strerror(errno));
        return -1;
    }
    return 0;
}

/* Closes every output file; returns -1 if any write failed. */
static int close_files(struct host *h)
{
    int status = 0;
    size_t i;
    for (i = 0; i < h->routes_len; i++) {
        struct route *r = &h->routes[i];
        if (r->file_owner == r && r->file != NULL) {
            if (fclose(r->file) != 0) {
                fprintf(stderr, "%s: error writing %s: %s\n", g_prog, r->path, strerror(errno));
                status = -1;
            }
            r->file = NULL;
        }
    }
    if (h->dead_letters != NULL) {
        if (fclose(h->dead_letters) != 0) {
            fprintf(stderr, "%s: error writing %s: %s\n", g_prog, h->dead_path, strerror(errno));
            status = -1;
        }
        h->dead_letters = NULL;
    }
    return status;
}

static void host_free(struct host *h)
{
    size_t i, j;
    (void)close_files(h);
    for (i = 0; i < h->routes_len; i++) {
        free(h->routes[i].path);
    }
    free(h->routes);
    free(h->dead_path);
    for (i = 0; i < CODE_SLOTS; i++) {
        for (j = 0; j < h->by_code[i].examples_len; j++) {
            free(h->by_code[i].examples[j].message);
        }
    }
    free(h->line);
    kpaudit_output_free(h->output);
    kpaudit_error_free(h->error);
    kpaudit_transform_free(h->transform);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    struct host h;
    const char *config_path = NULL;
    const char *outdir = NULL;
    uint8_t *config = NULL;
    size_t config_len = 0;
    kpaudit_result r;
    int i;
    int status = EXIT_TROUBLE;

    memset(&h, 0, sizeof h);
    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        g_prog = slash ? slash + 1 : argv[0];
    }

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--append") == 0) {
            h.append = 1;
        } else if (strcmp(arg, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: --config needs a file name\n\n", g_prog);
                usage(stderr);
                return EXIT_TROUBLE;
            }
            if (config_path != NULL) {
                fprintf(stderr, "%s: --config given twice\n\n", g_prog);
                usage(stderr);
                return EXIT_TROUBLE;
            }
            config_path = argv[++i];
        } else if (strncmp(arg, "--config=", 9) == 0) {
            if (config_path != NULL) {
                fprintf(stderr, "%s: --config given twice\n\n", g_prog);
                usage(stderr);
                return EXIT_TROUBLE;
            }
            config_path = arg + 9;
        } else if (arg[0] == '-' && arg[1] != '\0' && strcmp(arg, "--") != 0) {
            fprintf(stderr, "%s: unknown option '%s'\n\n", g_prog, arg);
            usage(stderr);
            return EXIT_TROUBLE;
        } else if (strcmp(arg, "--") == 0 && i + 1 < argc && outdir == NULL) {
            outdir = argv[++i];
        } else if (outdir == NULL) {
            outdir = arg;
        } else {
            fprintf(stderr, "%s: unexpected argument '%s' (one OUTDIR only)\n\n", g_prog, arg);
            usage(stderr);
            return EXIT_TROUBLE;
        }
    }
    if (outdir == NULL || outdir[0] == '\0') {
        fprintf(stderr, "%s: missing OUTDIR\n\n", g_prog);
        usage(stderr);
        return EXIT_TROUBLE;
    }

    /* The header this host was built with must match the library. */
    if (kpaudit_abi_version() != KPAUDIT_ABI_VERSION) {
        fprintf(stderr, "%s: kpaudit library ABI %lu, but this host was built for ABI %d\n", g_prog,
                (unsigned long)kpaudit_abi_version(), KPAUDIT_ABI_VERSION);
        return EXIT_TROUBLE;
    }

    if (config_path != NULL && read_file(config_path, &config, &config_len) != 0) {
        return EXIT_TROUBLE;
    }
    h.error = kpaudit_error_new();
    h.output = kpaudit_output_new();
    if (h.error == NULL || h.output == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        goto done;
    }
    r = kpaudit_transform_new(config, config_len, &h.transform, h.error);
    if (r != KPAUDIT_OK) {
        fprintf(stderr, "%s: %s: %s (%s)\n", g_prog, config_path ? config_path : "built-in configuration",
                kpaudit_error_message(h.error), kpaudit_result_str(r));
        goto done;
    }
    if (config_path != NULL && config_len == 0) {
        fprintf(stderr, "%s: note: %s is empty; using the built-in configuration\n", g_prog, config_path);
    }
    if (open_outdir(&h, outdir) != 0 || build_routes(&h, outdir) != 0) {
        goto done;
    }
    if (process_input(&h) != 0) {
        goto done;
    }
    if (close_files(&h) != 0) {
        goto done;
    }
    if (print_summary(&h) != 0) {
        goto done;
    }
    status = 0;

done:
    free(config);
    host_free(&h);
    return status;
}
