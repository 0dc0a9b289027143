/*
 * test_abi.c: exercises the whole kpaudit C ABI as a C host sees it.
 *
 * Includes only "kpaudit.h" and standard C headers. Built by tests/c/run.sh
 * with -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror, and again
 * under AddressSanitizer + UndefinedBehaviorSanitizer.
 *
 * Every check is counted; the last line printed is "N passed, M failed"
 * and the exit status is nonzero when M > 0.
 */

#include "kpaudit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Check bookkeeping                                                        */

static unsigned long g_passed;
static unsigned long g_failed;

static void check_impl(int ok, const char *expr, const char *what, const char *file, int line)
{
    if (ok) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "FAIL %s:%d: %s\n    check: %s\n", file, line, what, expr);
    }
}

/* CHECK(condition, "what is being checked") */
#define CHECK(cond, what) check_impl((cond) ? 1 : 0, #cond, (what), __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

/* Whether `hay` (hay_len bytes, not NUL-terminated) contains `needle`. */
static int mem_contains(const uint8_t *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;
    if (n == 0) {
        return 1;
    }
    if (hay == NULL || hay_len < n) {
        return 0;
    }
    for (i = 0; i + n <= hay_len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* How many times `needle` occurs in `hay` (non-overlapping). */
static size_t mem_count(const uint8_t *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i = 0;
    size_t count = 0;
    if (hay == NULL || n == 0) {
        return 0;
    }
    while (i + n <= hay_len) {
        if (memcmp(hay + i, needle, n) == 0) {
            count++;
            i += n;
        } else {
            i++;
        }
    }
    return count;
}

static int str_contains(const char *s, const char *needle)
{
    return s != NULL && strstr(s, needle) != NULL;
}

static const uint8_t *u8(const char *s)
{
    return (const uint8_t *)s;
}

/* Transforms a NUL-terminated event (the NUL is not passed). */
static kpaudit_result run_event(const kpaudit_transform *t, const char *json, kpaudit_output *out,
                                kpaudit_error *err)
{
    return kpaudit_transform_event(t, u8(json), strlen(json), out, err);
}

/* Builds a transform from a NUL-terminated config (the NUL is not passed). */
static kpaudit_result new_transform(const char *config, kpaudit_transform **out, kpaudit_error *err)
{
    return kpaudit_transform_new(u8(config), strlen(config), out, err);
}

/* Whether the output is in the documented empty state (as after a failure). */
/* Builds a transform on the built-in defaults into *t. When that fails it
 * records a failed check, frees the test's output and error object, and
 * returns 0, so the caller can simply return. */
static int default_transform(kpaudit_transform **t, kpaudit_output *out, kpaudit_error *err)
{
    if (kpaudit_transform_new(NULL, 0, t, err) == KPAUDIT_OK)
        return 1;
    CHECK(0, "default transform builds");
    kpaudit_output_free(out);
    kpaudit_error_free(err);
    return 0;
}

static int output_is_empty(const kpaudit_output *out)
{
    size_t len = 12345;
    const uint8_t *data = kpaudit_output_data(out, &len);
    const char *route = kpaudit_output_route(out);
    return data == NULL && len == 0 && kpaudit_output_severity(out) == KPAUDIT_SEVERITY_NORMAL &&
           route != NULL && route[0] == '\0' && kpaudit_output_redacted(out) == 0 &&
           kpaudit_output_route_index(out) == SIZE_MAX;
}

/* A pointer value no library call would produce, to detect writes to *out. */
static char g_sentinel_storage;
#define SENTINEL ((kpaudit_transform *)(void *)&g_sentinel_storage)

#define CRN(region) "crn:v1:bluemix:public:kms:" region ":a/0123456789abcdef:fd69c5a0-1111-2222-3333-444455556666::"

/* A complete, valid event for the given action, reasonCode and region. */
#define EVENT(action, code, region)                                                                      \
    "{\"eventTime\":\"2024-01-01T00:00:00.000+0000\",\"action\":\"" action "\",\"outcome\":\"success\"," \
    "\"reason\":{\"reasonCode\":" code ",\"reasonType\":\"x\"},\"severity\":\"normal\","               \
    "\"logSourceCRN\":\"" CRN(region) "\",\"message\":\"m\"}"

/* ------------------------------------------------------------------------ */
/* Version and names                                                        */

static int is_number_run(const char **p)
{
    const char *s = *p;
    if (*s < '0' || *s > '9') {
        return 0;
    }
    while (*s >= '0' && *s <= '9') {
        s++;
    }
    *p = s;
    return 1;
}

static void test_version(void)
{
    const char *v = kpaudit_version();
    const char *p = v;
    int ok;
    CHECK(v != NULL, "kpaudit_version() is not NULL");
    if (v == NULL) {
        return;
    }
    ok = is_number_run(&p) && *p++ == '.' && is_number_run(&p) && *p++ == '.' && is_number_run(&p) &&
         *p == '\0';
    CHECK(ok, "kpaudit_version() is MAJOR.MINOR.PATCH");
    CHECK(kpaudit_version() == v, "kpaudit_version() is a static string");
    CHECK(kpaudit_abi_version() == KPAUDIT_ABI_VERSION, "kpaudit_abi_version() == KPAUDIT_ABI_VERSION");
    printf("kpaudit %s, ABI %lu\n", v, (unsigned long)kpaudit_abi_version());
}

static void test_result_str(void)
{
    static const kpaudit_result codes[] = {
        KPAUDIT_OK,
        KPAUDIT_NULL_ARGUMENT,
        KPAUDIT_INVALID_CONFIG,
        KPAUDIT_INVALID_EVENT,
        KPAUDIT_EVENT_TOO_LARGE,
        KPAUDIT_PANIC,
    };
    static const char *const names[] = {
        "KPAUDIT_OK",
        "KPAUDIT_NULL_ARGUMENT",
        "KPAUDIT_INVALID_CONFIG",
        "KPAUDIT_INVALID_EVENT",
        "KPAUDIT_EVENT_TOO_LARGE",
        "KPAUDIT_PANIC",
    };
    const size_t n = sizeof codes / sizeof codes[0];
    size_t i, j;
    const char *s;

    for (i = 0; i < n; i++) {
        s = kpaudit_result_str(codes[i]);
        CHECK(s != NULL, "kpaudit_result_str(known code) is not NULL");
        CHECK(s != NULL && s[0] != '\0', "kpaudit_result_str(known code) is not empty");
        CHECK(!str_contains(s, "unknown"), "kpaudit_result_str(known code) is not 'unknown'");
        CHECK(str_contains(s, names[i]), "kpaudit_result_str(code) names its constant");
        for (j = 0; j < i; j++) {
            CHECK(strcmp(s, kpaudit_result_str(codes[j])) != 0, "kpaudit_result_str differs per code");
        }
    }
    /* Values that are not a kpaudit_result: never NULL, named unknown. */
    s = kpaudit_result_str((kpaudit_result)6);
    CHECK(s != NULL && str_contains(s, "unknown"), "kpaudit_result_str(6) says unknown");
    s = kpaudit_result_str((kpaudit_result)99);
    CHECK(s != NULL && str_contains(s, "unknown"), "kpaudit_result_str(99) says unknown");
    s = kpaudit_result_str((kpaudit_result)-1);
    CHECK(s != NULL && str_contains(s, "unknown"), "kpaudit_result_str(-1) says unknown");
    s = kpaudit_result_str((kpaudit_result)0x7fffffff);
    CHECK(s != NULL && str_contains(s, "unknown"), "kpaudit_result_str(INT_MAX) says unknown");
}

static void test_severity_str(void)
{
    const char *s;
    s = kpaudit_severity_str(KPAUDIT_SEVERITY_NORMAL);
    CHECK(s != NULL && strcmp(s, "normal") == 0, "kpaudit_severity_str(NORMAL) == \"normal\"");
    s = kpaudit_severity_str(KPAUDIT_SEVERITY_WARNING);
    CHECK(s != NULL && strcmp(s, "warning") == 0, "kpaudit_severity_str(WARNING) == \"warning\"");
    s = kpaudit_severity_str(KPAUDIT_SEVERITY_CRITICAL);
    CHECK(s != NULL && strcmp(s, "critical") == 0, "kpaudit_severity_str(CRITICAL) == \"critical\"");
    s = kpaudit_severity_str((kpaudit_severity)3);
    CHECK(s != NULL && strcmp(s, "unknown") == 0, "kpaudit_severity_str(3) == \"unknown\"");
    s = kpaudit_severity_str((kpaudit_severity)99);
    CHECK(s != NULL && strcmp(s, "unknown") == 0, "kpaudit_severity_str(99) == \"unknown\"");
    s = kpaudit_severity_str((kpaudit_severity)-1);
    CHECK(s != NULL && strcmp(s, "unknown") == 0, "kpaudit_severity_str(-1) == \"unknown\"");
}

/* ------------------------------------------------------------------------ */
/* Object lifetimes                                                         */

static void test_error_object(void)
{
    kpaudit_error *err = kpaudit_error_new();
    const char *m;
    CHECK(err != NULL, "kpaudit_error_new() is not NULL");
    m = kpaudit_error_message(err);
    CHECK(m != NULL && m[0] == '\0', "a new error's message is \"\"");
    m = kpaudit_error_message(NULL);
    CHECK(m != NULL && m[0] == '\0', "kpaudit_error_message(NULL) is \"\"");
    kpaudit_error_free(err);
    kpaudit_error_free(NULL);
    CHECK(1, "kpaudit_error_free(NULL) returns");
}

static void test_free_null(void)
{
    kpaudit_output *out = kpaudit_output_new();
    CHECK(out != NULL, "kpaudit_output_new() is not NULL");
    CHECK(output_is_empty(out), "a new output is empty");
    kpaudit_output_free(out);
    kpaudit_output_free(NULL);
    kpaudit_transform_free(NULL);
    kpaudit_error_free(NULL);
    CHECK(1, "every free function accepts NULL");
}

static void test_null_accessors(void)
{
    size_t len = 777;
    const char *route;
    CHECK(kpaudit_output_data(NULL, &len) == NULL, "kpaudit_output_data(NULL) is NULL");
    CHECK(len == 0, "kpaudit_output_data(NULL, &len) sets len to 0");
    CHECK(kpaudit_output_data(NULL, NULL) == NULL, "kpaudit_output_data(NULL, NULL) is NULL");
    CHECK(kpaudit_output_severity(NULL) == KPAUDIT_SEVERITY_NORMAL, "kpaudit_output_severity(NULL) is normal");
    route = kpaudit_output_route(NULL);
    CHECK(route != NULL && route[0] == '\0', "kpaudit_output_route(NULL) is \"\"");
    CHECK(kpaudit_output_redacted(NULL) == 0, "kpaudit_output_redacted(NULL) is 0");
    CHECK(kpaudit_output_route_index(NULL) == SIZE_MAX, "kpaudit_output_route_index(NULL) is SIZE_MAX");
    CHECK(kpaudit_transform_route_count(NULL) == 0, "kpaudit_transform_route_count(NULL) is 0");
    route = kpaudit_transform_route_name(NULL, 0);
    CHECK(route != NULL && route[0] == '\0', "kpaudit_transform_route_name(NULL, 0) is \"\"");
}

/* ------------------------------------------------------------------------ */
/* kpaudit_transform_new                                                    */

static void test_transform_new_defaults(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_transform *t = SENTINEL;
    kpaudit_result r;
    const char *name;
    size_t count, i;

    r = kpaudit_transform_new(NULL, 0, &t, err);
    CHECK(r == KPAUDIT_OK, "transform_new(NULL, 0) is OK (built-in defaults)");
    CHECK(t != NULL && t != SENTINEL, "transform_new(NULL, 0) writes a handle");
    CHECK(kpaudit_error_message(err)[0] == '\0', "transform_new success leaves message \"\"");
    if (r != KPAUDIT_OK || t == SENTINEL) {
        kpaudit_error_free(err);
        return;
    }

    count = kpaudit_transform_route_count(t);
    CHECK(count >= 1, "route_count >= 1");
    /* The defaults route every region in the table to a route of its own. */
    CHECK(count >= 3, "default route table has the unmatched route and regions");
    name = kpaudit_transform_route_name(t, 0);
    CHECK(name != NULL && strcmp(name, "unmatched") == 0, "route_name(0) is \"unmatched\"");
    name = kpaudit_transform_route_name(t, count);
    CHECK(name != NULL && name[0] == '\0', "route_name(count) is \"\"");
    name = kpaudit_transform_route_name(t, count + 100);
    CHECK(name != NULL && name[0] == '\0', "route_name(count + 100) is \"\"");
    name = kpaudit_transform_route_name(t, (size_t)-1);
    CHECK(name != NULL && name[0] == '\0', "route_name(SIZE_MAX) is \"\"");
    {
        int saw_us_south = 0, saw_eu_de = 0, all_nonempty = 1;
        for (i = 0; i < count; i++) {
            name = kpaudit_transform_route_name(t, i);
            if (name == NULL || name[0] == '\0') {
                all_nonempty = 0;
                continue;
            }
            if (strcmp(name, "us-south") == 0) {
                saw_us_south = 1;
            }
            if (strcmp(name, "eu-de") == 0) {
                saw_eu_de = 1;
            }
        }
        CHECK(all_nonempty, "every route_name(i < count) is non-empty");
        CHECK(saw_us_south, "default routes include us-south");
        CHECK(saw_eu_de, "default routes include eu-de");
    }
    kpaudit_transform_free(t);

    /* A non-NULL config pointer with length 0 is also the defaults. */
    t = SENTINEL;
    r = kpaudit_transform_new(u8("garbage that must not be read"), 0, &t, err);
    CHECK(r == KPAUDIT_OK, "transform_new(ptr, 0) is OK (defaults, bytes not read)");
    CHECK(t != SENTINEL && t != NULL, "transform_new(ptr, 0) writes a handle");
    if (r == KPAUDIT_OK) {
        kpaudit_transform_free(t);
    }

    /* An empty JSON object is also the defaults. */
    t = SENTINEL;
    r = new_transform("{}", &t, err);
    CHECK(r == KPAUDIT_OK, "transform_new(\"{}\") is OK");
    if (r == KPAUDIT_OK) {
        kpaudit_transform_free(t);
    }

    /* err may be NULL. */
    t = SENTINEL;
    r = kpaudit_transform_new(NULL, 0, &t, NULL);
    CHECK(r == KPAUDIT_OK, "transform_new with err NULL is OK");
    if (r == KPAUDIT_OK) {
        kpaudit_transform_free(t);
    }
    kpaudit_error_free(err);
}

static void test_transform_new_null_arguments(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_transform *t = SENTINEL;
    kpaudit_result r;

    r = kpaudit_transform_new(NULL, 0, NULL, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "transform_new(out NULL) is NULL_ARGUMENT");
    CHECK(kpaudit_error_message(err)[0] != '\0', "transform_new(out NULL) sets a message");

    r = kpaudit_transform_new(u8("{}"), 2, NULL, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "transform_new(config, out NULL) is NULL_ARGUMENT");

    r = kpaudit_transform_new(NULL, 0, NULL, NULL);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "transform_new(out NULL, err NULL) is NULL_ARGUMENT");

    r = kpaudit_transform_new(NULL, 5, &t, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "transform_new(config NULL, len 5) is NULL_ARGUMENT");
    CHECK(t == SENTINEL, "transform_new(config NULL, len 5) leaves *out untouched");
    CHECK(kpaudit_error_message(err)[0] != '\0', "transform_new(config NULL, len 5) sets a message");

    /* A success after the failure resets the message. */
    r = kpaudit_transform_new(NULL, 0, &t, err);
    CHECK(r == KPAUDIT_OK, "transform_new after a failure is OK");
    CHECK(kpaudit_error_message(err)[0] == '\0', "transform_new success resets the message to \"\"");
    if (r == KPAUDIT_OK) {
        kpaudit_transform_free(t);
    }
    kpaudit_error_free(err);
}

struct bad_config {
    const char *config;
    const char *path; /* a substring the message must hold */
    const char *what;
};

static void test_transform_new_bad_configs(void)
{
    static const struct bad_config cases[] = {
        {"{\"route\":{\"destinatons\":{\"us-south\":\"at-dallas\"}}}", "route.destinatons",
         "misspelled key route.destinatons"},
        {"{\"bogus\":1}", "bogus", "unknown top-level key"},
        {"{\"severity\":{\"default\":\"urgent\"}}", "severity.default", "bad severity name"},
        {"{\"severity\":{\"actions\":{\"kms.secrets.wrap\":\"loud\"}}}", "severity.actions",
         "bad severity name in actions"},
        {"{\"severity\":{\"status\":{\"abc\":\"warning\"}}}", "severity.status", "non-numeric status"},
        {"{\"severity\":{\"precedence\":\"lowest\"}}", "severity.precedence", "bad precedence"},
        {"{\"redact\":{\"mode\":\"shred\"}}", "redact.mode", "bad redact mode"},
        {"{\"redact\":{\"fields\":[\"\"]}}", "redact.fields", "empty redact field"},
        {"{\"route\":{\"destinations\":{\"mars-north\":\"x\"}}}", "route.destinations",
         "destination for no region"},
        {"{\"route\":{\"unmatched\":\"\"}}", "route.unmatched", "empty unmatched route"},
        {"{\"limits\":{\"max_event_bytes\":0}}", "limits.max_event_bytes", "max_event_bytes 0"},
        {"{\"limits\":{\"max_depth\":0}}", "limits.max_depth", "max_depth 0"},
        {"{\"limits\":{\"max_event_bytes\":-1}}", "limits.max_event_bytes", "negative max_event_bytes"},
        {"{\"route\":", "", "truncated JSON"},
        {"null", "", "config is null"},
        {"\"text\"", "", "config is a string"},
        {"{} {}", "", "trailing data after the config"},
        {"\xff", "", "invalid UTF-8 config"},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    kpaudit_error *err = kpaudit_error_new();
    size_t i;

    for (i = 0; i < n; i++) {
        kpaudit_transform *t = SENTINEL;
        kpaudit_result r = new_transform(cases[i].config, &t, err);
        const char *msg = kpaudit_error_message(err);
        int ok = r == KPAUDIT_INVALID_CONFIG;
        CHECK(ok, "bad config is INVALID_CONFIG");
        CHECK(t == SENTINEL, "bad config leaves *out untouched");
        CHECK(msg != NULL && msg[0] != '\0', "bad config sets a message");
        CHECK(str_contains(msg, cases[i].path), "bad config message names the key path");
        if (!ok || t != SENTINEL || !str_contains(msg, cases[i].path)) {
            fprintf(stderr, "    case %s: %s -> %s: \"%s\"\n", cases[i].what, cases[i].config,
                    kpaudit_result_str(r), msg ? msg : "(null)");
        }
        if (r == KPAUDIT_OK && t != SENTINEL) {
            kpaudit_transform_free(t);
        }
        /* With err NULL the same failure is reported by code alone. */
        t = SENTINEL;
        r = new_transform(cases[i].config, &t, NULL);
        CHECK(r == KPAUDIT_INVALID_CONFIG && t == SENTINEL, "bad config with err NULL");
        if (r == KPAUDIT_OK && t != SENTINEL) {
            kpaudit_transform_free(t);
        }
    }

    /* The config is pointer + length: bytes past config_len are not read. */
    {
        const char buf[] = "{\"route\":{\"destinations\":{\"us-south\":\"at-dallas\"}}}GARBAGE";
        kpaudit_transform *t = SENTINEL;
        kpaudit_result r = kpaudit_transform_new(u8(buf), sizeof buf - 1 - strlen("GARBAGE"), &t, err);
        CHECK(r == KPAUDIT_OK, "config is read up to config_len only");
        if (r == KPAUDIT_OK) {
            kpaudit_transform_free(t);
        }
        /* And a config cut short by config_len is rejected. */
        t = SENTINEL;
        r = kpaudit_transform_new(u8(buf), 10, &t, err);
        CHECK(r == KPAUDIT_INVALID_CONFIG && t == SENTINEL, "config cut short by config_len is rejected");
    }
    kpaudit_error_free(err);
}

/* ------------------------------------------------------------------------ */
/* kpaudit_transform_event: successes                                       */

struct sev_case {
    const char *event;
    kpaudit_severity severity;
    const char *route;
    const char *what;
};

static void test_events_severity_and_route(void)
{
    static const struct sev_case cases[] = {
        {EVENT("kms.secrets.delete", "200", "us-south"), KPAUDIT_SEVERITY_CRITICAL, "us-south", "delete"},
        {EVENT("kms.secrets.create", "401", "eu-de"), KPAUDIT_SEVERITY_CRITICAL, "eu-de", "create+401"},
        {EVENT("kms.secrets.rotate", "200", "jp-tok"), KPAUDIT_SEVERITY_WARNING, "jp-tok", "rotate+200"},
        {EVENT("kms.secrets.wrap", "200", "au-syd"), KPAUDIT_SEVERITY_NORMAL, "au-syd", "wrap+200"},
        {EVENT("kms.secrets.wrap", "409", "us-east"), KPAUDIT_SEVERITY_WARNING, "us-east", "wrap+409"},
        {EVENT("kms.secrets.wrap", "503", "eu-gb"), KPAUDIT_SEVERITY_CRITICAL, "eu-gb", "wrap+503"},
        {EVENT("kms.secrets.delete", "409", "us-south"), KPAUDIT_SEVERITY_CRITICAL, "us-south",
         "delete+409 (higher wins)"},
        {EVENT("kms.secrets.rotate", "403", "us-south"), KPAUDIT_SEVERITY_CRITICAL, "us-south",
         "rotate+403 (higher wins)"},
        {EVENT("kms.secrets.read", "\"401\"", "us-south"), KPAUDIT_SEVERITY_CRITICAL, "us-south",
         "reasonCode as a digit string"},
        {EVENT("kms.secrets.wrap", "200", "eu-de-1"), KPAUDIT_SEVERITY_NORMAL, "eu-de", "zone of a region"},
        {EVENT("kms.secrets.wrap", "200", "xx-nowhere"), KPAUDIT_SEVERITY_NORMAL, "unmatched",
         "unknown region"},
        {"{\"action\":\"kms.secrets.wrap\"}", KPAUDIT_SEVERITY_NORMAL, "unmatched", "no CRN at all"},
        {"{\"action\":\"kms.secrets.wrap\",\"logSourceCRN\":\"not a crn\"}", KPAUDIT_SEVERITY_NORMAL,
         "unmatched", "malformed CRN"},
        {"{}", KPAUDIT_SEVERITY_NORMAL, "unmatched", "empty object"},
        {"{\"action\":\"kms.secrets.d\\u0065lete\",\"logSourceCRN\":\"crn:v1:bluemix:public:kms:us\\u002dsouth:a/1:x::\"}",
         KPAUDIT_SEVERITY_CRITICAL, "us-south", "action and CRN read after unescaping"},
        {"{\"action\":\"kms.secrets.wrap\",\"reason\":{\"reasonCode\":401},\"reason\":{\"reasonCode\":200}}",
         KPAUDIT_SEVERITY_NORMAL, "unmatched", "the last duplicate member wins"},
        {"{\"logSourceCRN\":null,\"target\":{\"id\":\"" CRN("ca-tor") "\"}}", KPAUDIT_SEVERITY_NORMAL, "ca-tor",
         "null CRN falls back to target.id"},
        {"{\"requestData\":{\"requestURI\":\"https://eu-de.kms.cloud.ibm.com/api/v2/keys\"}}",
         KPAUDIT_SEVERITY_NORMAL, "eu-de", "no CRN: region from the request URI (short host)"},
        {"{\"requestData\":{\"requestURI\":\"https://private.us-east.kms.cloud.ibm.com:443/api\"}}",
         KPAUDIT_SEVERITY_NORMAL, "us-east", "no CRN: private endpoint URI"},
        {"{\"requestData\":{\"requestURI\":\"https://x.kms.cloud.ibm.com/\"}}", KPAUDIT_SEVERITY_NORMAL,
         "unmatched", "no CRN: URI of an unknown region"},
        {"{\"requestData\":{\"requestURI\":\"/api/v2/keys\"}}", KPAUDIT_SEVERITY_NORMAL, "unmatched",
         "no CRN: URI without a host"},
        {" \t\r\n{\"action\":\"kms.secrets.delete\"} \r\n", KPAUDIT_SEVERITY_CRITICAL, "unmatched",
         "whitespace around the object"},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    size_t i;

    if (!default_transform(&t, out, err))
        return;
    for (i = 0; i < n; i++) {
        size_t len = 0;
        const uint8_t *data;
        const char *route;
        const char *sev_name;
        char sev_member[64];
        kpaudit_result r = run_event(t, cases[i].event, out, err);
        int ok = r == KPAUDIT_OK;

        CHECK(ok, "valid event is OK");
        CHECK(kpaudit_error_message(err)[0] == '\0', "success leaves the error message \"\"");
        data = kpaudit_output_data(out, &len);
        CHECK(data != NULL && len > 0, "success gives data");
        CHECK(data != NULL && len >= 2 && data[0] == '{' && data[len - 1] == '}',
              "output is one object, nothing around it");
        CHECK(kpaudit_output_severity(out) == cases[i].severity, "severity as specified");
        route = kpaudit_output_route(out);
        CHECK(route != NULL && strcmp(route, cases[i].route) == 0, "route as specified");
        CHECK(strcmp(kpaudit_transform_route_name(t, kpaudit_output_route_index(out)), cases[i].route) == 0,
              "the route index names the route");
        CHECK(kpaudit_output_redacted(out) == 0, "nothing to redact");
        /* The severity is written into the event, exactly once. */
        sev_name = kpaudit_severity_str(cases[i].severity);
        sprintf(sev_member, "\"severity\":\"%s\"", sev_name);
        CHECK(mem_count(data, len, sev_member) == 1, "the event holds the severity member once");
        CHECK(mem_count(data, len, "\"severity\"") == 1, "the event holds one severity member");
        if (!ok || kpaudit_output_severity(out) != cases[i].severity || route == NULL ||
            strcmp(route, cases[i].route) != 0) {
            fprintf(stderr, "    case %s: %s severity=%s route=\"%s\" msg=\"%s\"\n", cases[i].what,
                    kpaudit_result_str(r), kpaudit_severity_str(kpaudit_output_severity(out)),
                    route ? route : "(null)", kpaudit_error_message(err));
        }
    }

    /* data with len NULL: no crash, same pointer. */
    {
        size_t len = 0;
        const uint8_t *a, *b;
        CHECK(run_event(t, EVENT("kms.secrets.delete", "200", "us-south"), out, err) == KPAUDIT_OK,
              "delete event OK");
        a = kpaudit_output_data(out, &len);
        b = kpaudit_output_data(out, NULL);
        CHECK(a != NULL && a == b, "kpaudit_output_data(out, NULL) returns the data");
        /* Reading twice is stable. */
        CHECK(kpaudit_output_route(out) == kpaudit_output_route(out), "route pointer is stable");
    }

    /* The event is pointer + length: bytes after event_len are not read. */
    {
        const char *ev = EVENT("kms.secrets.delete", "200", "eu-de");
        size_t ev_len = strlen(ev);
        char *buf = (char *)malloc(ev_len + 16);
        if (buf != NULL) {
            size_t len = 0;
            const uint8_t *data;
            memcpy(buf, ev, ev_len);
            memcpy(buf + ev_len, "GARBAGE!GARBAGE", 16);
            CHECK(kpaudit_transform_event(t, u8(buf), ev_len, out, err) == KPAUDIT_OK,
                  "event is read up to event_len only");
            data = kpaudit_output_data(out, &len);
            CHECK(!mem_contains(data, len, "GARBAGE"), "bytes past event_len are not copied");
            CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_CRITICAL, "unterminated buffer severity");
            /* Cut in the middle: invalid. */
            CHECK(kpaudit_transform_event(t, u8(buf), ev_len - 1, out, err) == KPAUDIT_INVALID_EVENT,
                  "event cut short by event_len is INVALID_EVENT");
            free(buf);
        }
    }

    /* The existing severity member is replaced, wherever it is. */
    {
        size_t len = 0;
        const uint8_t *data;
        CHECK(run_event(t, "{\"severity\":\"normal\",\"action\":\"kms.secrets.delete\"}", out, err) == KPAUDIT_OK,
              "event with severity first OK");
        data = kpaudit_output_data(out, &len);
        CHECK(mem_contains(data, len, "\"severity\":\"critical\"") && !mem_contains(data, len, "\"normal\""),
              "existing severity value is replaced");
        CHECK(mem_count(data, len, "\"severity\"") == 1, "one severity member after replacement");
    }
    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

static void test_events_redaction(void)
{
    /* Every key-material member holds SECRETMARKER; nothing else does. */
    static const char event[] =
        "{\"action\":\"kms.secrets.wrap\",\"payload\":\"SECRETMARKER-1\","
        "\"reason\":{\"reasonCode\":200},"
        "\"requestData\":{\"encryptedNonce\":\"SECRETMARKER-2\",\"iv\":\"SECRETMARKER-3\","
        "\"keep\":\"visible-1\",\"nested\":[{\"PlainText\":\"SECRETMARKER-4\"},{\"x\":1}]},"
        "\"responseData\":{\"ciphertext\":{\"deep\":[\"SECRETMARKER-5\"]},\"AAD\":\"SECRETMARKER-6\"},"
        "\"requestHeader\":{\"authorization\":\"Bearer SECRETMARKER-7\"},"
        "\"pay\\u006coad\":\"SECRETMARKER-8\","
        "\"NONCE\":97531,"
        "\"payloads\":\"visible-2\","
        "\"logSourceCRN\":\"" CRN("us-south") "\","
        "\"iv\":null}";
    const unsigned expected_redacted = 10; /* members planted above */
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    size_t len = 0;
    const uint8_t *data;

    if (!default_transform(&t, out, err))
        return;
    CHECK(run_event(t, event, out, err) == KPAUDIT_OK, "event with key material is OK");
    data = kpaudit_output_data(out, &len);
    CHECK(data != NULL && len > 0, "redacted event has data");
    CHECK(!mem_contains(data, len, "SECRETMARKER"), "no key material value in the output");
    CHECK(!mem_contains(data, len, "97531"), "numeric key material removed too");
    CHECK(kpaudit_output_redacted(out) == expected_redacted, "redacted count == members planted");
    CHECK(!mem_contains(data, len, "\"payload\""), "no payload member");
    CHECK(!mem_contains(data, len, "\"iv\""), "no iv member");
    CHECK(mem_contains(data, len, "visible-1"), "other members kept");
    CHECK(mem_contains(data, len, "\"payloads\":\"visible-2\""), "a longer name is not key material");
    CHECK(mem_contains(data, len, "{\"x\":1}"), "sibling array element kept");
    CHECK(mem_contains(data, len, "[{},{\"x\":1}]"), "emptied object stays, commas right");
    CHECK(mem_contains(data, len, "\"requestHeader\":{}"), "emptied object stays");
    CHECK(mem_contains(data, len, "\"severity\":\"normal\""), "severity appended");
    CHECK(!mem_contains(data, len, ",,") && !mem_contains(data, len, "{,") && !mem_contains(data, len, ",}"),
          "no stray commas after removal");
    CHECK(strcmp(kpaudit_output_route(out), "us-south") == 0, "route of redacted event");
    if (kpaudit_output_redacted(out) != expected_redacted || mem_contains(data, len, "SECRETMARKER")) {
        fprintf(stderr, "    redacted=%lu output=%.*s\n", (unsigned long)kpaudit_output_redacted(out),
                (int)len, (const char *)data);
    }

    /* An event that is only key material. */
    CHECK(run_event(t, "{\"payload\":\"SECRETMARKER\",\"iv\":\"SECRETMARKER\"}", out, err) == KPAUDIT_OK,
          "event of only key material is OK");
    data = kpaudit_output_data(out, &len);
    CHECK(len == strlen("{\"severity\":\"normal\"}") && memcmp(data, "{\"severity\":\"normal\"}", len) == 0,
          "only key material -> just the severity");
    CHECK(kpaudit_output_redacted(out) == 2, "two members redacted");
    kpaudit_transform_free(t);

    /* Mask mode: values replaced, members kept and counted. */
    t = NULL;
    if (new_transform("{\"redact\":{\"mode\":\"mask\",\"mask\":\"[GONE]\",\"fields\":[\"secretValue\"]}}", &t,
                      err) == KPAUDIT_OK) {
        CHECK(run_event(t, event, out, err) == KPAUDIT_OK, "mask mode event OK");
        data = kpaudit_output_data(out, &len);
        CHECK(!mem_contains(data, len, "SECRETMARKER"), "mask mode: no key material value");
        CHECK(mem_contains(data, len, "\"payload\":\"[GONE]\""), "mask mode: value masked");
        CHECK(kpaudit_output_redacted(out) == expected_redacted, "mask mode: same count");
        CHECK(run_event(t, "{\"SecretValue\":\"SECRETMARKER\"}", out, err) == KPAUDIT_OK,
              "configured field, other case");
        data = kpaudit_output_data(out, &len);
        CHECK(!mem_contains(data, len, "SECRETMARKER") && kpaudit_output_redacted(out) == 1,
              "configured redact field masked");
        kpaudit_transform_free(t);
    } else {
        CHECK(0, "mask-mode config builds");
        fprintf(stderr, "    %s\n", kpaudit_error_message(err));
    }
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

static void test_custom_config(void)
{
    static const char config[] =
        "{\"route\":{\"destinations\":{\"us-south\":\"at-dallas\",\"eu-de\":\"team/frankfurt\"},"
        "\"unmatched\":\"unmatched\"},"
        "\"severity\":{\"actions\":{\"kms.secrets.wrap\":\"warning\"},\"status\":{\"500\":\"critical\"}}}";
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    kpaudit_result r = new_transform(config, &t, err);
    size_t count, i;
    int saw_dallas = 0, saw_us_south = 0;

    CHECK(r == KPAUDIT_OK, "custom config builds");
    if (r != KPAUDIT_OK) {
        fprintf(stderr, "    %s\n", kpaudit_error_message(err));
        kpaudit_output_free(out);
        kpaudit_error_free(err);
        return;
    }
    count = kpaudit_transform_route_count(t);
    CHECK(count >= 3, "custom route_count");
    CHECK(strcmp(kpaudit_transform_route_name(t, 0), "unmatched") == 0, "custom route_name(0)");
    for (i = 0; i < count; i++) {
        const char *name = kpaudit_transform_route_name(t, i);
        if (strcmp(name, "at-dallas") == 0) {
            saw_dallas = 1;
        }
        if (strcmp(name, "us-south") == 0) {
            saw_us_south = 1;
        }
    }
    CHECK(saw_dallas, "route names include the destination at-dallas");
    CHECK(!saw_us_south, "us-south is renamed, not listed itself");

    CHECK(run_event(t, EVENT("kms.secrets.create", "200", "us-south"), out, err) == KPAUDIT_OK, "custom event OK");
    CHECK(strcmp(kpaudit_output_route(out), "at-dallas") == 0, "us-south routes to at-dallas");
    CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_NORMAL, "create is still normal");

    CHECK(run_event(t, EVENT("kms.secrets.wrap", "200", "eu-de"), out, err) == KPAUDIT_OK, "custom event OK");
    CHECK(strcmp(kpaudit_output_route(out), "team/frankfurt") == 0, "eu-de routes to team/frankfurt");
    CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_WARNING, "configured action severity");

    CHECK(run_event(t, EVENT("kms.secrets.list", "500", "jp-tok"), out, err) == KPAUDIT_OK, "custom event OK");
    CHECK(strcmp(kpaudit_output_route(out), "jp-tok") == 0, "unmapped region keeps its name");
    CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_CRITICAL, "configured status severity");

    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* ------------------------------------------------------------------------ */
/* kpaudit_transform_event: failures                                        */

struct bad_event {
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    kpaudit_result code;
    const char *what;
};

/* Fills `out` with a good result, then fails `bytes` through it. */
/* Short enough for the small-limits transform below (max_event_bytes 64). */
#define SHORT_DELETE "{\"action\":\"kms.secrets.delete\"}"
#define SHORT_ROTATE "{\"action\":\"kms.secrets.rotate\"}"

static void fail_after_success(const kpaudit_transform *t, const uint8_t *bytes, size_t len, kpaudit_result code,
                               const char *what, kpaudit_output *out, kpaudit_error *err)
{
    const char *msg;
    kpaudit_result r;
    r = run_event(t, SHORT_DELETE, out, err);
    CHECK(r == KPAUDIT_OK && !output_is_empty(out), "good event before the bad one");
    CHECK(kpaudit_output_redacted(out) == 0 && kpaudit_output_severity(out) == KPAUDIT_SEVERITY_CRITICAL,
          "good result is in the output");

    r = kpaudit_transform_event(t, bytes, len, out, err);
    msg = kpaudit_error_message(err);
    CHECK(r == code, "bad event gives the expected code");
    CHECK(output_is_empty(out), "after a failure the output is empty (NULL/0/normal/\"\"/0)");
    CHECK(msg != NULL && msg[0] != '\0', "failure sets a message");
    CHECK(str_contains(msg, "byte"), "failure message gives a byte offset");
    CHECK(!str_contains(msg, "LEAKMARKER"), "failure message does not quote the event");
    if (r != code || !str_contains(msg, "byte") || str_contains(msg, "LEAKMARKER")) {
        fprintf(stderr, "    case %s: got %s, want %s: \"%s\"\n", what, kpaudit_result_str(r),
                kpaudit_result_str(code), msg ? msg : "(null)");
    }

    /* A success afterwards resets the message. */
    r = run_event(t, SHORT_ROTATE, out, err);
    CHECK(r == KPAUDIT_OK, "good event after the bad one");
    CHECK(kpaudit_error_message(err)[0] == '\0', "success after a failure resets the message to \"\"");
    CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_WARNING &&
              strcmp(kpaudit_output_route(out), "unmatched") == 0 && kpaudit_output_data(out, NULL) != NULL,
          "output usable again after a failure");

    /* err NULL: same code, no crash. */
    r = kpaudit_transform_event(t, bytes, len, out, NULL);
    CHECK(r == code, "bad event with err NULL gives the same code");
    CHECK(output_is_empty(out), "bad event with err NULL empties the output");
}

static char *make_nested(size_t depth, const char *marker)
{
    /* {"a":{"a":...{"m":"marker"}...}} with `depth` objects */
    size_t mlen = strlen(marker);
    size_t cap = depth * 6 + mlen + 16;
    char *s = (char *)malloc(cap);
    size_t i, pos = 0;
    if (s == NULL) {
        return NULL;
    }
    for (i = 0; i + 1 < depth; i++) {
        memcpy(s + pos, "{\"a\":", 5);
        pos += 5;
    }
    memcpy(s + pos, "{\"m\":\"", 6);
    pos += 6;
    memcpy(s + pos, marker, mlen);
    pos += mlen;
    s[pos++] = '"';
    for (i = 0; i < depth; i++) {
        s[pos++] = '}';
    }
    s[pos] = '\0';
    return s;
}

static void test_events_invalid(void)
{
    static const struct bad_event cases[] = {
        {"{\"action\":\"LEAKMARKER\"", 0, KPAUDIT_INVALID_EVENT, "truncated object"},
        {"{\"action\":\"kms.secrets.delete\",\"payload\":\"LEAKMARKER\",}", 0, KPAUDIT_INVALID_EVENT,
         "trailing comma"},
        {"{\"payload\":LEAKMARKER}", 0, KPAUDIT_INVALID_EVENT, "bare word value"},
        {"{LEAKMARKER:1}", 0, KPAUDIT_INVALID_EVENT, "unquoted name"},
        {"{\"a\":\"LEAKMARKER\"}{}", 0, KPAUDIT_INVALID_EVENT, "two objects"},
        {"{\"a\":\"LEAKMARKER\"} x", 0, KPAUDIT_INVALID_EVENT, "trailing data"},
        {"[\"LEAKMARKER\"]", 0, KPAUDIT_INVALID_EVENT, "array, not an object"},
        {"\"LEAKMARKER\"", 0, KPAUDIT_INVALID_EVENT, "string, not an object"},
        {"12345", 0, KPAUDIT_INVALID_EVENT, "number, not an object"},
        {"null", 0, KPAUDIT_INVALID_EVENT, "null, not an object"},
        {"true", 0, KPAUDIT_INVALID_EVENT, "boolean, not an object"},
        {"LEAKMARKER", 0, KPAUDIT_INVALID_EVENT, "garbage"},
        {"   ", 0, KPAUDIT_INVALID_EVENT, "only whitespace"},
        {"{\"a\":\"LEAKMARKER\xff\"}", 0, KPAUDIT_INVALID_EVENT, "invalid UTF-8 in a string"},
        {"{\"a\":\"LEAKMARKER\xc3\"}", 0, KPAUDIT_INVALID_EVENT, "truncated UTF-8 sequence"},
        {"{\"a\":\"LEAKMARKER\xed\xa0\x80\"}", 0, KPAUDIT_INVALID_EVENT, "UTF-8 encoded surrogate"},
        {"{\"a\":\"LEAKMARKER\\ud800\"}", 0, KPAUDIT_INVALID_EVENT, "unpaired surrogate escape"},
        {"{\"a\":\"LEAKMARKER\\x\"}", 0, KPAUDIT_INVALID_EVENT, "invalid escape"},
        {"{\"a\":\"LEAKMARKER\tx\"}", 0, KPAUDIT_INVALID_EVENT, "raw control character in a string"},
        {"{\"a\":01}", 0, KPAUDIT_INVALID_EVENT, "leading zero"},
        {"{\"a\":1.}", 0, KPAUDIT_INVALID_EVENT, "no digit after point"},
        {"{\"a\":tru}", 0, KPAUDIT_INVALID_EVENT, "bad literal"},
        {"{\"a\":\"LEAKMARKER\"\0}", 19, KPAUDIT_INVALID_EVENT, "NUL byte inside the event"},
    };
    const size_t n = sizeof cases / sizeof cases[0];
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    size_t i;

    if (!default_transform(&t, out, err))
        return;
    for (i = 0; i < n; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].bytes);
        fail_after_success(t, u8(cases[i].bytes), len, cases[i].code, cases[i].what, out, err);
    }

    /* Too deep for the default limit (128). */
    {
        char *deep = make_nested(200, "LEAKMARKER");
        char *ok = make_nested(100, "fine");
        CHECK(deep != NULL && ok != NULL, "allocated nested events");
        if (deep != NULL && ok != NULL) {
            fail_after_success(t, u8(deep), strlen(deep), KPAUDIT_INVALID_EVENT, "200 levels deep", out, err);
            CHECK(run_event(t, ok, out, err) == KPAUDIT_OK, "100 levels deep is OK by default");
        }
        free(deep);
        free(ok);
    }

    /* Over the default size limit (1 MiB): rejected; exactly 1 MiB: fine. */
    {
        const size_t mib = (size_t)1 << 20;
        char *big = (char *)malloc(mib + 2);
        if (big != NULL) {
            /* {"pad":"LEAKMARKER....."} of exactly mib bytes */
            size_t head = strlen("{\"pad\":\"");
            memcpy(big, "{\"pad\":\"", head);
            memset(big + head, 'x', mib - head - 2);
            memcpy(big + head, "LEAKMARKER", 10);
            big[mib - 2] = '"';
            big[mib - 1] = '}';
            CHECK(kpaudit_transform_event(t, u8(big), mib, out, err) == KPAUDIT_OK, "exactly 1 MiB is accepted");
            /* One more byte (trailing whitespace, still valid JSON). */
            big[mib] = ' ';
            fail_after_success(t, u8(big), mib + 1, KPAUDIT_EVENT_TOO_LARGE, "1 MiB + 1", out, err);
            free(big);
        } else {
            CHECK(0, "allocated 1 MiB event");
        }
    }
    kpaudit_transform_free(t);

    /* Small limits from configuration. */
    t = NULL;
    if (new_transform("{\"limits\":{\"max_event_bytes\":64,\"max_depth\":4}}", &t, err) == KPAUDIT_OK) {
        char *deep5 = make_nested(5, "LEAKMARKER");
        char *deep4 = make_nested(4, "ok");
        static const char fits[] = "{\"action\":\"kms.secrets.delete\",\"x\":\"01234567890123456789012345\"}";
        static const char over[] = "{\"action\":\"kms.secrets.delete\",\"x\":\"LEAKMARKER01234567890123456\"}";
        CHECK(strlen(fits) == 64 && strlen(over) == 65, "size-limit fixtures are 64 and 65 bytes");
        CHECK(run_event(t, fits, out, err) == KPAUDIT_OK, "event of max_event_bytes is OK");
        fail_after_success(t, u8(over), strlen(over), KPAUDIT_EVENT_TOO_LARGE, "max_event_bytes + 1", out, err);
        /* Too large wins over invalid. */
        {
            static const char junk[] = "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{LEAKMARKER";
            fail_after_success(t, u8(junk), strlen(junk), KPAUDIT_EVENT_TOO_LARGE, "large and invalid", out, err);
        }
        if (deep5 != NULL && deep4 != NULL) {
            CHECK(run_event(t, deep4, out, err) == KPAUDIT_OK, "max_depth levels is OK");
            fail_after_success(t, u8(deep5), strlen(deep5), KPAUDIT_INVALID_EVENT, "max_depth + 1 levels", out,
                               err);
            /* Arrays count as levels too. */
            fail_after_success(t, u8("{\"a\":[[[[\"LEAKMARKER\"]]]]}"), 26, KPAUDIT_INVALID_EVENT,
                               "max_depth + 1 with arrays", out, err);
        } else {
            CHECK(0, "allocated nested events");
        }
        free(deep5);
        free(deep4);
        kpaudit_transform_free(t);
    } else {
        CHECK(0, "small-limits config builds");
        fprintf(stderr, "    %s\n", kpaudit_error_message(err));
    }
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

static void test_events_null_arguments(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    const char *good = EVENT("kms.secrets.delete", "200", "us-south");
    kpaudit_result r;

    if (!default_transform(&t, out, err))
        return;

    /* NULL transform: NULL_ARGUMENT, and the output is emptied. */
    CHECK(run_event(t, good, out, err) == KPAUDIT_OK, "good event");
    r = kpaudit_transform_event(NULL, u8(good), strlen(good), out, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "NULL transform is NULL_ARGUMENT");
    CHECK(kpaudit_error_message(err)[0] != '\0', "NULL transform sets a message");
    CHECK(output_is_empty(out), "NULL transform empties the output");

    /* NULL out. */
    r = kpaudit_transform_event(t, u8(good), strlen(good), NULL, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "NULL out is NULL_ARGUMENT");
    CHECK(kpaudit_error_message(err)[0] != '\0', "NULL out sets a message");
    r = kpaudit_transform_event(t, u8(good), strlen(good), NULL, NULL);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "NULL out, NULL err is NULL_ARGUMENT");

    /* NULL event with a length. */
    CHECK(run_event(t, good, out, err) == KPAUDIT_OK, "good event");
    CHECK(kpaudit_error_message(err)[0] == '\0', "message reset");
    r = kpaudit_transform_event(t, NULL, 10, out, err);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "NULL event, len 10 is NULL_ARGUMENT");
    CHECK(kpaudit_error_message(err)[0] != '\0', "NULL event sets a message");
    CHECK(output_is_empty(out), "NULL event empties the output");

    /* NULL event with length 0 is the empty event: invalid, not NULL. */
    CHECK(run_event(t, good, out, err) == KPAUDIT_OK, "good event");
    r = kpaudit_transform_event(t, NULL, 0, out, err);
    CHECK(r == KPAUDIT_INVALID_EVENT, "NULL event, len 0 is INVALID_EVENT");
    CHECK(kpaudit_error_message(err)[0] != '\0', "empty event sets a message");
    CHECK(output_is_empty(out), "empty event empties the output");

    /* Non-NULL pointer with length 0: also the empty event. */
    r = kpaudit_transform_event(t, u8(good), 0, out, err);
    CHECK(r == KPAUDIT_INVALID_EVENT, "pointer with len 0 is INVALID_EVENT");

    /* Everything NULL. */
    r = kpaudit_transform_event(NULL, NULL, 0, NULL, NULL);
    CHECK(r == KPAUDIT_NULL_ARGUMENT, "all NULL is NULL_ARGUMENT");

    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* One transform, several outputs: results are independent. */
static void test_outputs_are_independent(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *a = kpaudit_output_new();
    kpaudit_output *b = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    size_t len_a = 0, len_b = 0;
    const uint8_t *da, *db;

    if (kpaudit_transform_new(NULL, 0, &t, err) != KPAUDIT_OK) {
        CHECK(0, "default transform builds");
    } else {
        CHECK(run_event(t, EVENT("kms.secrets.delete", "200", "us-south"), a, err) == KPAUDIT_OK, "event into a");
        CHECK(run_event(t, EVENT("kms.secrets.wrap", "200", "eu-de"), b, err) == KPAUDIT_OK, "event into b");
        da = kpaudit_output_data(a, &len_a);
        db = kpaudit_output_data(b, &len_b);
        CHECK(da != db, "outputs have their own data");
        CHECK(kpaudit_output_severity(a) == KPAUDIT_SEVERITY_CRITICAL, "a keeps its severity");
        CHECK(strcmp(kpaudit_output_route(a), "us-south") == 0, "a keeps its route");
        CHECK(kpaudit_output_severity(b) == KPAUDIT_SEVERITY_NORMAL, "b has its severity");
        CHECK(strcmp(kpaudit_output_route(b), "eu-de") == 0, "b has its route");
        CHECK(mem_contains(da, len_a, "kms.secrets.delete") && mem_contains(db, len_b, "kms.secrets.wrap"),
              "each output holds its own event");
        /* A failure into b leaves a alone. */
        CHECK(run_event(t, "{", b, err) == KPAUDIT_INVALID_EVENT, "failure into b");
        CHECK(output_is_empty(b) && !output_is_empty(a), "a failure empties only its own output");
        kpaudit_transform_free(t);
    }
    kpaudit_output_free(a);
    kpaudit_output_free(b);
    kpaudit_error_free(err);
}

/* Reusing one output for many events of varying size. */
static void test_output_reuse(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    int i, all_ok = 1;

    if (kpaudit_transform_new(NULL, 0, &t, err) != KPAUDIT_OK) {
        CHECK(0, "default transform builds");
    } else {
        for (i = 0; i < 1000; i++) {
            const char *ev = (i % 3 == 0) ? EVENT("kms.secrets.delete", "200", "us-south")
                             : (i % 3 == 1) ? "{\"a\":1}"
                                            : "{\"payload\":\"x\",\"bad\":";
            kpaudit_result want = (i % 3 == 2) ? KPAUDIT_INVALID_EVENT : KPAUDIT_OK;
            kpaudit_result r = run_event(t, ev, out, err);
            size_t len = 0;
            const uint8_t *data = kpaudit_output_data(out, &len);
            if (r != want) {
                all_ok = 0;
            } else if (r == KPAUDIT_OK) {
                if (data == NULL || len == 0 || data[len - 1] != '}') {
                    all_ok = 0;
                }
                if ((i % 3 == 1) && !(len == strlen("{\"a\":1,\"severity\":\"normal\"}") &&
                                      memcmp(data, "{\"a\":1,\"severity\":\"normal\"}", len) == 0)) {
                    all_ok = 0;
                }
            } else if (!output_is_empty(out)) {
                all_ok = 0;
            }
        }
        CHECK(all_ok, "1000 events through one output, alternating ok/small/failing");
        kpaudit_transform_free(t);
    }
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* The batch: a chunk of NDJSON in, per-route NDJSON out, every line
 * accounted for, nothing of a rejected line anywhere. */
static void test_batch(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_transform *t = NULL;
    kpaudit_batch *b = kpaudit_batch_new();
    size_t len = 99, i, total_events = 0, total_bytes = 0;
    const uint8_t *data;
    const char *chunk =
        "{\"action\":\"kms.secrets.delete\",\"logSourceCRN\":\"" CRN("eu-de") "\",\"payload\":\"x\"}\n"
        "{\"a\":\"LEAKMARKER\n"
        "\n"
        "{\"action\":\"kms.secrets.rotate\",\"logSourceCRN\":\"" CRN("us-south") "\"}\n"
        "{\"action\":\"kms.secrets.wrap\",\"reason\":{\"reasonCode\":401}}";

    CHECK(b != NULL, "kpaudit_batch_new() is not NULL");
    CHECK(kpaudit_batch_route_count(b) == 0, "a new batch has no routes");
    CHECK(new_transform("{\"route\":{\"destinations\":{\"eu-de\":\"at-fra\"}}}", &t, err) == KPAUDIT_OK,
          "transform for the batch");
    CHECK(kpaudit_transform_batch(t, u8(chunk), strlen(chunk), b, err) == KPAUDIT_OK,
          "kpaudit_transform_batch returns OK with rejected lines in the chunk");
    CHECK(strcmp(kpaudit_error_message(err), "") == 0, "a successful batch leaves the message \"\"");
    CHECK(kpaudit_batch_lines(b) == 5, "5 input lines");
    CHECK(kpaudit_batch_emitted(b) == 3, "3 emitted");
    CHECK(kpaudit_batch_rejected(b) == 2, "2 rejected");
    CHECK(kpaudit_batch_lines(b) == kpaudit_batch_emitted(b) + kpaudit_batch_rejected(b),
          "lines = emitted + rejected");
    CHECK(kpaudit_batch_rejected_line(b, 0) == 2 && kpaudit_batch_rejected_line(b, 1) == 3,
          "rejected line numbers are 2 and 3");
    CHECK(kpaudit_batch_rejected_result(b, 0) == KPAUDIT_INVALID_EVENT, "line 2 is an invalid event");
    CHECK(str_contains(kpaudit_batch_rejected_message(b, 0), "at byte"), "its message has an offset");
    CHECK(!str_contains(kpaudit_batch_rejected_message(b, 0), "LEAKMARKER"), "its message quotes nothing");
    CHECK(kpaudit_batch_rejected_line(b, 2) == 0, "rejected_line out of range is 0");
    CHECK(strcmp(kpaudit_batch_rejected_message(b, 2), "") == 0, "rejected_message out of range is \"\"");
    CHECK(kpaudit_batch_rejected_result(b, 2) == KPAUDIT_NULL_ARGUMENT, "rejected_result out of range");
    CHECK(kpaudit_batch_severity_count(b, KPAUDIT_SEVERITY_CRITICAL) == 2, "2 critical");
    CHECK(kpaudit_batch_severity_count(b, KPAUDIT_SEVERITY_WARNING) == 1, "1 warning");
    CHECK(kpaudit_batch_severity_count(b, KPAUDIT_SEVERITY_NORMAL) == 0, "0 normal");
    CHECK(kpaudit_batch_severity_count(b, (kpaudit_severity)7) == 0, "unknown severity counts 0");
    CHECK(kpaudit_batch_redacted(b) == 1, "1 member redacted");
    CHECK(kpaudit_batch_route_count(b) == kpaudit_transform_route_count(t), "one entry per route");
    for (i = 0; i < kpaudit_batch_route_count(b); i++) {
        const char *name = kpaudit_batch_route_name(b, i);
        size_t events = kpaudit_batch_route_events(b, i);
        data = kpaudit_batch_route_data(b, i, &len);
        CHECK(strcmp(name, kpaudit_transform_route_name(t, i)) == 0, "batch route names follow the transform's");
        CHECK(mem_count(data, len, "\n") == events, "one line per event in each route");
        CHECK(!mem_contains(data, len, "LEAKMARKER") && !mem_contains(data, len, "payload"),
              "no rejected bytes and no key material in a route");
        CHECK((data == NULL) == (len == 0), "empty routes give NULL and 0");
        if (strcmp(name, "at-fra") == 0)
            CHECK(events == 1 && mem_contains(data, len, "\"severity\":\"critical\""), "eu-de -> at-fra, critical");
        if (strcmp(name, "unmatched") == 0)
            CHECK(events == 1, "the event without a region is unmatched");
        total_events += events;
        total_bytes += len;
    }
    CHECK(total_events == 3 && total_bytes > 0, "routes hold the 3 emitted events");
    CHECK(kpaudit_batch_route_data(b, 999, &len) == NULL && len == 0, "route_data out of range");
    CHECK(strcmp(kpaudit_batch_route_name(b, 999), "") == 0, "route_name out of range is \"\"");

    /* NULL arguments: a code, and the batch is emptied. */
    CHECK(kpaudit_transform_batch(NULL, u8(chunk), strlen(chunk), b, err) == KPAUDIT_NULL_ARGUMENT,
          "NULL transform -> NULL_ARGUMENT");
    CHECK(kpaudit_batch_lines(b) == 0 && kpaudit_batch_emitted(b) == 0, "the batch is empty after a failure");
    CHECK(kpaudit_transform_batch(t, NULL, 5, b, err) == KPAUDIT_NULL_ARGUMENT, "NULL ndjson with len > 0");
    CHECK(kpaudit_transform_batch(t, u8(chunk), strlen(chunk), NULL, err) == KPAUDIT_NULL_ARGUMENT, "NULL batch");
    CHECK(kpaudit_transform_batch(t, NULL, 0, b, NULL) == KPAUDIT_OK && kpaudit_batch_lines(b) == 0,
          "an empty chunk is OK with 0 lines");
    CHECK(kpaudit_batch_lines(NULL) == 0 && kpaudit_batch_route_count(NULL) == 0 &&
              kpaudit_batch_route_data(NULL, 0, &len) == NULL && len == 0 &&
              strcmp(kpaudit_batch_route_name(NULL, 0), "") == 0 && kpaudit_batch_rejected(NULL) == 0 &&
              kpaudit_batch_redacted(NULL) == 0,
          "batch accessors accept NULL");
    kpaudit_batch_free(NULL);
    kpaudit_batch_free(b);
    kpaudit_transform_free(t);
    kpaudit_error_free(err);
}

/* MessagePack records: {"action":"kms.secrets.delete","payload":"x"} */
static const uint8_t MP_RECORD[] = {
    0x82, 0xa6, 'a', 'c', 't', 'i', 'o', 'n',
    0xb2, 'k', 'm', 's', '.', 's', 'e', 'c', 'r', 'e', 't', 's', '.', 'd', 'e', 'l', 'e', 't', 'e',
    0xa7, 'p', 'a', 'y', 'l', 'o', 'a', 'd', 0xa1, 'x'};

static void test_msgpack(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_batch *b = kpaudit_batch_new();
    kpaudit_transform *t = NULL;
    const uint8_t expected[] = {
        0x82, 0xa6, 'a', 'c', 't', 'i', 'o', 'n',
        0xb2, 'k', 'm', 's', '.', 's', 'e', 'c', 'r', 'e', 't', 's', '.', 'd', 'e', 'l', 'e', 't', 'e',
        0xa8, 's', 'e', 'v', 'e', 'r', 'i', 't', 'y', 0xa8, 'c', 'r', 'i', 't', 'i', 'c', 'a', 'l'};
    uint8_t chunk[2 * sizeof MP_RECORD + 1];
    size_t len = 99;
    const uint8_t *data;

    if (!default_transform(&t, out, err))
        return;
    CHECK(kpaudit_transform_msgpack(t, MP_RECORD, sizeof MP_RECORD, out, err) == KPAUDIT_OK,
          "kpaudit_transform_msgpack accepts a map");
    data = kpaudit_output_data(out, &len);
    CHECK(len == sizeof expected && memcmp(data, expected, len) == 0,
          "the record comes back as a map without payload and with severity");
    CHECK(kpaudit_output_severity(out) == KPAUDIT_SEVERITY_CRITICAL, "msgpack: critical");
    CHECK(kpaudit_output_redacted(out) == 1, "msgpack: one member redacted");
    CHECK(strcmp(kpaudit_output_route(out), "unmatched") == 0, "msgpack: unmatched route");

    CHECK(kpaudit_transform_msgpack(t, MP_RECORD, 3, out, err) == KPAUDIT_INVALID_EVENT,
          "a cut record is an invalid event");
    CHECK(kpaudit_output_data(out, &len) == NULL && len == 0, "a rejected record leaves no output");
    CHECK(str_contains(kpaudit_error_message(err), "unexpected end of input"), "the reason is given");
    CHECK(kpaudit_transform_msgpack(NULL, MP_RECORD, sizeof MP_RECORD, out, err) == KPAUDIT_NULL_ARGUMENT,
          "msgpack: NULL transform");
    CHECK(kpaudit_transform_msgpack(t, NULL, 5, out, err) == KPAUDIT_NULL_ARGUMENT, "msgpack: NULL record");

    memcpy(chunk, MP_RECORD, sizeof MP_RECORD);
    chunk[sizeof MP_RECORD] = 0xc1; /* never valid */
    memcpy(chunk + sizeof MP_RECORD + 1, MP_RECORD, sizeof MP_RECORD);
    CHECK(kpaudit_transform_msgpack_batch(t, chunk, sizeof chunk, b, err) == KPAUDIT_OK,
          "kpaudit_transform_msgpack_batch returns OK");
    CHECK(kpaudit_batch_lines(b) == 2 && kpaudit_batch_emitted(b) == 1 && kpaudit_batch_rejected(b) == 1,
          "a chunk broken at its second item: one emitted, the rest one rejected item");
    CHECK(kpaudit_batch_rejected_line(b, 0) == 2, "the broken item is item 2");
    data = kpaudit_batch_route_data(b, 0, &len);
    CHECK(len == sizeof expected && memcmp(data, expected, len) == 0, "the route holds the one record");
    CHECK(!mem_contains(data, len, "payload"), "no payload in the batch output");

    kpaudit_batch_free(b);
    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* [[EventTime, {"payload": "SECRET"}], {"a": 1}]: key material in the metadata */
static const uint8_t MP_FRAMED[] = {
    0x92, 0x92, 0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x81, 0xa7, 'p', 'a', 'y', 'l', 'o', 'a', 'd', 0xa6, 'S', 'E', 'C', 'R', 'E', 'T',
    0x81, 0xa1, 'a', 0x01};

static void test_msgpack_headers(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_batch *b = kpaudit_batch_new();
    kpaudit_transform *t = NULL;
    /* the same event framed by a 4.2.x Fluent Bit: array32, and a header
     * string that is not UTF-8 */
    uint8_t wide[sizeof MP_FRAMED + 4];
    const uint8_t bad_header[] = {0x92, 0xa2, 0xc3, 0x28, 0x81, 0xa1, 'a', 0x01};
    /* a group marker: [[-1, {"iv": "SECRET"}], {"k": "v"}] */
    const uint8_t marker[] = {0x92, 0x92, 0xff, 0x81, 0xa2, 'i', 'v', 0xa6, 'S', 'E', 'C', 'R', 'E', 'T',
                              0x81, 0xa1, 'k', 0xa1, 'v'};
    const uint8_t scrubbed[] = {0x92, 0x92, 0xff, 0x80, 0x81, 0xa1, 'k', 0xa1, 'v'};
    size_t len = 99, i;
    const uint8_t *data;

    if (!default_transform(&t, out, err))
        return;
    CHECK(kpaudit_transform_msgpack_item(t, MP_FRAMED, sizeof MP_FRAMED, out, err) == KPAUDIT_OK,
          "kpaudit_transform_msgpack_item accepts a framed event");
    data = kpaudit_output_data(out, &len);
    CHECK(!mem_contains(data, len, "SECRET") && !mem_contains(data, len, "payload"),
          "key material in the header is stripped");
    CHECK(len > 12 && data[0] == 0x92 && data[12] == 0x80, "the header keeps its frame, its map emptied");
    CHECK(kpaudit_output_redacted(out) == 1, "the header's member counts as redacted");
    CHECK(kpaudit_transform_msgpack_batch(t, MP_FRAMED, sizeof MP_FRAMED, b, err) == KPAUDIT_OK &&
              kpaudit_batch_emitted(b) == 1,
          "the batch takes the framed event");
    for (i = 0; i < kpaudit_batch_route_count(b); i++) {
        data = kpaudit_batch_route_data(b, i, &len);
        CHECK(data == NULL || !mem_contains(data, len, "SECRET"), "no route holds the header's key material");
    }

    wide[0] = 0xdd;
    wide[1] = wide[2] = wide[3] = 0;
    wide[4] = 2;
    memcpy(wide + 5, MP_FRAMED + 1, sizeof MP_FRAMED - 1);
    CHECK(kpaudit_transform_msgpack_item(t, wide, sizeof wide, out, err) == KPAUDIT_OK,
          "an array32 frame is an event too");
    data = kpaudit_output_data(out, &len);
    CHECK(len > 5 && memcmp(data, wide, 5) == 0 && !mem_contains(data, len, "SECRET"),
          "the array32 frame is kept, its header stripped");

    CHECK(kpaudit_transform_msgpack_item(t, bad_header, sizeof bad_header, out, err) == KPAUDIT_INVALID_EVENT,
          "a header that is not UTF-8 rejects the item");
    CHECK(output_is_empty(out), "nothing of it is output");
    CHECK(strcmp(kpaudit_error_message(err), "invalid event: invalid UTF-8 in the event header at byte 2") == 0,
          "the message says where");

    CHECK(kpaudit_redact_msgpack(t, marker, sizeof marker, out, err) == KPAUDIT_OK,
          "kpaudit_redact_msgpack takes any value");
    data = kpaudit_output_data(out, &len);
    CHECK(len == sizeof scrubbed && memcmp(data, scrubbed, len) == 0, "the marker comes back stripped");
    CHECK(kpaudit_output_redacted(out) == 1 && strcmp(kpaudit_output_route(out), "") == 0 &&
              kpaudit_output_route_index(out) == SIZE_MAX,
          "one member redacted, no route");
    CHECK(kpaudit_redact_msgpack(t, marker, 3, out, err) == KPAUDIT_INVALID_EVENT && output_is_empty(out),
          "a cut value is rejected");
    CHECK(kpaudit_redact_msgpack(NULL, marker, sizeof marker, out, err) == KPAUDIT_NULL_ARGUMENT,
          "redact_msgpack: NULL transform");
    CHECK(kpaudit_transform_msgpack_item(t, NULL, 1, out, err) == KPAUDIT_NULL_ARGUMENT,
          "msgpack_item: NULL item");

    kpaudit_batch_free(b);
    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* kpaudit_transform_msgpack_next: a chunk read item by item, each item once. */
static void test_msgpack_next(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_output *out = kpaudit_output_new();
    kpaudit_transform *t = NULL;
    /* MP_FRAMED, then [[1, {}], {"log": "raw", "f": "x"}] (an unparsed
     * line), then a cut item */
    const uint8_t unparsed[] = {0x92, 0x92, 0x01, 0x80, 0x82, 0xa3, 'l', 'o', 'g', 0xa3, 'r', 'a', 'w',
                                0xa1, 'f', 0xa1, 'x'};
    uint8_t chunk[sizeof MP_FRAMED + sizeof unparsed + 3];
    kpaudit_item_info info, untouched;
    size_t len = 0, at;
    const uint8_t *data;

    if (!default_transform(&t, out, err))
        return;
    memcpy(chunk, MP_FRAMED, sizeof MP_FRAMED);
    memcpy(chunk + sizeof MP_FRAMED, unparsed, sizeof unparsed);
    memcpy(chunk + sizeof MP_FRAMED + sizeof unparsed, "\x92\x92\x01", 3);

    CHECK(kpaudit_transform_msgpack_next(t, chunk, sizeof chunk, (const uint8_t *) "log", 3, out,
                                         &info, err) == KPAUDIT_OK,
          "msgpack_next reads the first item of a chunk");
    CHECK(info.len == sizeof MP_FRAMED && info.nesting == 3 && !info.has_member,
          "it tells the item's length and nesting, and that its record has no `log`");
    data = kpaudit_output_data(out, &len);
    CHECK(!mem_contains(data, len, "SECRET") && kpaudit_output_redacted(out) == 1,
          "the item is transformed as by msgpack_item");

    at = info.len;
    CHECK(kpaudit_transform_msgpack_next(t, chunk + at, sizeof chunk - at, (const uint8_t *) "log", 3, out,
                                         &info, err) == KPAUDIT_OK &&
              info.len == sizeof unparsed && info.has_member,
          "the second item's record holds `log`");
    CHECK(kpaudit_transform_msgpack_next(t, chunk + at, sizeof chunk - at, NULL, 0, out, &info, err) ==
                  KPAUDIT_OK && !info.has_member,
          "no member asked for: none found");

    at += info.len;
    untouched = info;
    CHECK(kpaudit_transform_msgpack_next(t, chunk + at, sizeof chunk - at, NULL, 0, out, &info, err) ==
              KPAUDIT_INVALID_EVENT,
          "a cut item is refused");
    CHECK(info.len == untouched.len && info.nesting == untouched.nesting &&
              info.has_member == untouched.has_member && output_is_empty(out),
          "on failure info is untouched and nothing is output");
    CHECK(kpaudit_transform_msgpack_next(t, chunk, sizeof chunk, NULL, 0, out, NULL, err) ==
              KPAUDIT_NULL_ARGUMENT,
          "msgpack_next: NULL info");
    CHECK(kpaudit_transform_msgpack_next(t, chunk, sizeof chunk, NULL, 1, out, &info, err) ==
              KPAUDIT_NULL_ARGUMENT,
          "msgpack_next: NULL member with a length");

    kpaudit_transform_free(t);
    kpaudit_output_free(out);
    kpaudit_error_free(err);
}

/* Whether the transform lists `name` among its key-material names. */
static int lists_key_material(const kpaudit_transform *t, const char *name)
{
    size_t i, len, count = kpaudit_transform_key_material_count(t);
    const uint8_t *n;

    for (i = 0; i < count; i++) {
        len = 0;
        n = kpaudit_transform_key_material_name(t, i, &len);
        if (n != NULL && len == strlen(name) && memcmp(n, name, len) == 0)
            return 1;
    }
    return 0;
}

static void test_key_material_names(void)
{
    kpaudit_error *err = kpaudit_error_new();
    kpaudit_transform *t = NULL;
    const char *masked = "{\"redact\":{\"mode\":\"mask\",\"mask\":\"x\\\"\\u00e9\",\"fields\":[\"SecretValue\"]}}";
    const char *no_hpcs = "{\"services\":[\"kms\"]}";
    size_t i, len, count;
    const uint8_t *n;
    int lower = 1;

    if (kpaudit_transform_new(NULL, 0, &t, err) != KPAUDIT_OK) {
        CHECK(0, "default transform builds");
        kpaudit_error_free(err);
        return;
    }
    count = kpaudit_transform_key_material_count(t);
    CHECK(count >= 8, "the defaults list at least Key Protect's 8 key-material names");
    CHECK(lists_key_material(t, "payload") && lists_key_material(t, "encryptednonce") &&
          lists_key_material(t, "iv") && lists_key_material(t, "authorization"),
          "the defaults list payload, encryptedNonce, iv, authorization (lower-cased)");
    CHECK(lists_key_material(t, "api_key"), "the defaults list HPCS's api_key (hs-crypto is on)");
    for (i = 0; i < count; i++) {
        len = 0;
        n = kpaudit_transform_key_material_name(t, i, &len);
        for (size_t k = 0; n != NULL && k < len; k++)
            lower &= !(n[k] >= 'A' && n[k] <= 'Z');
        lower &= n != NULL && len > 0;
    }
    CHECK(lower, "every key-material name is non-empty and lower-cased");
    len = 77;
    CHECK(kpaudit_transform_key_material_name(t, count, &len) == NULL && len == 77,
          "key_material_name(count) is NULL and leaves *len");
    CHECK(kpaudit_transform_key_material_name(t, 0, NULL) == NULL, "key_material_name(t, 0, NULL) is NULL");
    CHECK(kpaudit_transform_mask(t, &len) == NULL && len == 77, "remove mode has no mask; *len untouched");
    kpaudit_transform_free(t);

    t = NULL;
    CHECK(kpaudit_transform_new((const uint8_t *)masked, strlen(masked), &t, err) == KPAUDIT_OK,
          "a mask-mode config with an added field builds");
    if (t != NULL) {
        n = kpaudit_transform_mask(t, &len);
        CHECK(n != NULL && len == 4 && memcmp(n, "x\"\xc3\xa9", 4) == 0, "the mask is the configured string, unescaped");
        CHECK(lists_key_material(t, "secretvalue"), "an added field is listed, lower-cased");
        CHECK(kpaudit_transform_mask(t, NULL) == NULL, "mask(t, NULL) is NULL");
        kpaudit_transform_free(t);
    }

    t = NULL;
    CHECK(kpaudit_transform_new((const uint8_t *)no_hpcs, strlen(no_hpcs), &t, err) == KPAUDIT_OK,
          "a config with hs-crypto off builds");
    if (t != NULL) {
        CHECK(!lists_key_material(t, "api_key") && lists_key_material(t, "payload"),
              "with hs-crypto off, HPCS's credentials are not listed, Key Protect's are");
        kpaudit_transform_free(t);
    }
    len = 77;
    CHECK(kpaudit_transform_key_material_count(NULL) == 0, "key_material_count(NULL) is 0");
    CHECK(kpaudit_transform_key_material_name(NULL, 0, &len) == NULL, "key_material_name(NULL) is NULL");
    CHECK(kpaudit_transform_mask(NULL, &len) == NULL && len == 77, "mask(NULL) is NULL");
    kpaudit_error_free(err);
}

int main(void)
{
    test_version();
    test_result_str();
    test_severity_str();
    test_error_object();
    test_free_null();
    test_null_accessors();
    test_transform_new_defaults();
    test_transform_new_null_arguments();
    test_transform_new_bad_configs();
    test_events_severity_and_route();
    test_events_redaction();
    test_custom_config();
    test_events_invalid();
    test_events_null_arguments();
    test_outputs_are_independent();
    test_output_reuse();
    test_batch();
    test_msgpack();
    test_msgpack_headers();
    test_msgpack_next();
    test_key_material_names();

    printf("%lu passed, %lu failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
