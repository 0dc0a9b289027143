/*
 * The plugin is tied to the Fluent Bit release and build it was compiled
 * against: Fluent Bit copies its registration struct by value and hands it
 * Fluent Bit's own structs (config, instances, config maps), whose layouts
 * change between releases and with the FLB_HAVE_* build flags. Loaded into
 * another release it would read fields at the wrong offsets and crash.
 *
 * So this check runs as a constructor, when Fluent Bit dlopen()s the plugin
 * and before Fluent Bit or the plugin touches any of those structs. Fluent
 * Bit exports no version symbol, so it asks the running binary itself:
 * `/proc/self/exe --version` ("Fluent Bit vX.Y.Z") and `--help` (its
 * "Build Flags" line) in a child process, and compares them with
 * FLB_VERSION_STR and FLB_INFO_FLAGS of the headers it was compiled with.
 * On a mismatch it writes one line naming both and how to rebuild, and ends
 * the process with status 1, as Fluent Bit itself does when `-e` cannot
 * load a plugin.
 *
 * Only libc and the dynamic loader are used here.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fluent-bit/flb_info.h>     /* FLB_INFO_FLAGS of the build */
#include <fluent-bit/flb_version.h>  /* FLB_VERSION_STR */

#include "kp_host_check.h"

extern char **environ;

#define HOST_OUTPUT_MAX (1 << 20)
#define HOST_TIMEOUT_MS 10000
/* set in the probe's environment: a probe never probes (were it ever to
 * load the plugin itself) */
#define PROBE_MARK "KPAUDIT_FLB_VERSION_PROBE=1"

static char host_version[64];

const char *kp_host_version(void)
{
    return host_version[0] ? host_version : "unchecked";
}

/* One line in Fluent Bit's log format, then the end of the process. */
static void refuse(const char *fmt, ...)
{
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (localtime_r(&now, &tm)) {
        strftime(when, sizeof(when), "%Y/%m/%d %H:%M:%S", &tm);
    }
    fprintf(stderr, "[%s] [error] [plugin] kpaudit: ", when);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    /* not exit(): we are inside dlopen(), other objects' destructors and
     * Fluent Bit's atexit handlers have no business running here */
    _exit(EXIT_FAILURE);
}

/*
 * Runs the Fluent Bit binary of this process with one option and collects
 * its standard output (NUL-terminated) into a malloc'ed buffer; NULL when
 * it cannot be run or does not finish in time.
 */
static char *host_output(const char *exe, const char *option)
{
    posix_spawn_file_actions_t fa;
    char *argv[] = { (char *) "fluent-bit", (char *) option, NULL };
    char **envp;
    size_t n_env = 0;
    int fds[2];
    pid_t pid;
    char *out;
    size_t len = 0;
    ssize_t n;
    struct pollfd pfd;
    int waited = 0, ret;

    while (environ && environ[n_env]) {
        n_env++;
    }
    envp = malloc((n_env + 2) * sizeof(char *));
    out = malloc(HOST_OUTPUT_MAX + 1);
    if (!envp || !out || pipe2(fds, O_CLOEXEC) != 0) {
        free(envp);
        free(out);
        return NULL;
    }
    if (n_env > 0) {
        memcpy(envp, environ, n_env * sizeof(char *));
    }
    envp[n_env] = (char *) PROBE_MARK;
    envp[n_env + 1] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    ret = posix_spawn(&pid, exe, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fds[1]);
    if (ret != 0) {
        close(fds[0]);
        free(out);
        return NULL;
    }

    pfd.fd = fds[0];
    pfd.events = POLLIN;
    for (;;) {
        ret = poll(&pfd, 1, 100);
        if (ret < 0 && errno == EINTR) {
            continue;
        }
        if (ret == 0) {
            waited += 100;
            if (waited >= HOST_TIMEOUT_MS) {
                kill(pid, SIGKILL);
                len = 0;
                break;
            }
            continue;
        }
        n = read(fds[0], out + len, HOST_OUTPUT_MAX - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || (len += (size_t) n) == HOST_OUTPUT_MAX) {
            break;
        }
    }
    close(fds[0]);
    /* Fluent Bit may ignore SIGCHLD, then there is nothing to reap */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    if (len == 0) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

/* Whether the space-separated word `w` (length n) is in `list`. */
static int has_word(const char *list, const char *w, size_t n)
{
    const char *p = list;
    size_t len;

    while (*p) {
        while (*p == ' ') {
            p++;
        }
        len = strcspn(p, " ");
        if (len == n && strncmp(p, w, n) == 0) {
            return 1;
        }
        p += len;
    }
    return 0;
}

/* Appends to `out` the words of `a` missing from `b`. */
static void missing_words(const char *a, const char *b, char *out, size_t cap)
{
    const char *p = a;
    size_t n, used = strlen(out);

    while (*p) {
        while (*p == ' ') {
            p++;
        }
        n = strcspn(p, " ");
        if (n > 0 && !has_word(b, p, n) && used + n + 2 < cap) {
            out[used++] = ' ';
            memcpy(out + used, p, n);
            used += n;
            out[used] = '\0';
        }
        p += n;
    }
}

/* The Fluent Bit core (flb_plugin_load) must be in the program itself for
 * the program to be Fluent Bit; embedded in another program there is no
 * binary to ask. */
static const char *program_holding_core(void)
{
    void *core, *self;
    Dl_info info;
    struct link_map *owner = NULL, *program = NULL;
    const char *execfn;

    core = dlsym(RTLD_DEFAULT, "flb_plugin_load");
    if (!core) {
        return NULL;     /* not inside Fluent Bit: nothing to check */
    }
    self = dlopen(NULL, RTLD_LAZY);
    if (!self || dlinfo(self, RTLD_DI_LINKMAP, &program) != 0 ||
        !dladdr1(core, &info, (void **) &owner, RTLD_DL_LINKMAP) || owner != program) {
        refuse("Fluent Bit's core is not in this program (embedded use?), so its "
               "release cannot be checked; this plugin was built for Fluent Bit %s "
               "and is loaded only by the fluent-bit binary. Not loaded.",
               FLB_VERSION_STR);
    }
    if (access("/proc/self/exe", X_OK) == 0) {
        return "/proc/self/exe";
    }
    execfn = (const char *) getauxval(AT_EXECFN);
    return execfn ? execfn : "";
}

__attribute__((constructor))
static void kp_host_check(void)
{
    const char *exe = program_holding_core();
    char *text, *p, *eol;
    char only_plugin[256] = "", only_host[256] = "";
    size_t n;

    if (!exe || getenv("KPAUDIT_FLB_VERSION_PROBE")) {
        return;
    }
    text = host_output(exe, "--version");
    p = text ? strstr(text, "Fluent Bit v") : NULL;
    if (!p) {
        free(text);
        refuse("cannot tell the version of this Fluent Bit (%s --version gave no "
               "\"Fluent Bit v...\"); this plugin was built for Fluent Bit %s. Not loaded.",
               exe, FLB_VERSION_STR);
    }
    p += strlen("Fluent Bit v");
    n = strcspn(p, " \t\r\n|");
    if (n >= sizeof(host_version)) {
        n = sizeof(host_version) - 1;
    }
    memcpy(host_version, p, n);
    host_version[n] = '\0';
    free(text);
    if (strcmp(host_version, FLB_VERSION_STR) != 0) {
        refuse("this plugin was built against Fluent Bit %s and cannot run in Fluent Bit "
               "%s (a native plugin shares the structs of the release it was compiled "
               "with); rebuild it against %s: cmake -S examples/fluent-bit -B <dir> "
               "-DFLB_SOURCE=<Fluent Bit %s source> -DFLB_BUILD=<its build directory>. "
               "Not loaded.",
               FLB_VERSION_STR, host_version, host_version, host_version);
    }

    /* Same release, but the FLB_HAVE_* flags change struct layouts too. */
    text = host_output(exe, "--help");
    p = text ? strstr(text, "Build Flags =") : NULL;
    if (!p) {
        free(text);
        refuse("cannot read the build flags of this Fluent Bit %s (%s --help); this "
               "plugin was built for Fluent Bit %s. Not loaded.",
               host_version, exe, FLB_VERSION_STR);
    }
    p += strlen("Build Flags =");
    eol = strchr(p, '\n');
    if (eol) {
        *eol = '\0';
    }
    missing_words(FLB_INFO_FLAGS, p, only_plugin, sizeof(only_plugin));
    missing_words(p, FLB_INFO_FLAGS, only_host, sizeof(only_host));
    free(text);
    if (only_plugin[0] || only_host[0]) {
        refuse("this plugin was built against a Fluent Bit %s build with other build "
               "flags (only in the plugin's build:%s; only in this fluent-bit:%s); "
               "rebuild it against the build directory of this fluent-bit binary "
               "(-DFLB_BUILD). Not loaded.",
               FLB_VERSION_STR, only_plugin[0] ? only_plugin : " none",
               only_host[0] ? only_host : " none");
    }
}
