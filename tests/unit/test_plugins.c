/*
** test_plugins.c - cmocka tests for runtime/plugins.c and runtime/plugins_spawn.c: Netdata
** 1.37.1's restart decision as a table, the exit codes of netdata_pclose(), the environment, and
** one live run of small shell plugins in a temporary directory driven by the same poll loop the
** collector thread uses: argv/environment/stdin/descriptors as a plugin sees them, its chart on
** the host, restart after exit 0, no restart after DISABLE, a plugin that ignores SIGTERM killed
** within the grace period at shutdown, and nothing left running.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins.h"
#include "plugins_spawn.h"
#include "policy_format.h"
#include "rrd.h"
#include "testutil.h"

static void test_restart_policy(void **state)
{
    (void)state;
    /* exit 0 (or SIGTERM): after update_every when it ever collected, else 10 x */
    assert_int_equal(plugins_restart_delay(0, 5, 0, 2), 2);
    assert_int_equal(plugins_restart_delay(0, 0, 1, 2), 20);
    assert_int_equal(plugins_restart_delay(0, 0, 10, 1), 10);
    assert_int_equal(plugins_restart_delay(0, 0, 11, 1), -1);
    assert_int_equal(plugins_restart_delay(0, 7, 11, 1), -1);    /* our bound */
    /* killed by another signal: disabled */
    assert_int_equal(plugins_restart_delay(-1, 100, 0, 1), -1);
    /* an error exit: disabled unless it collected before, then 10 x, 10 times in a row */
    assert_int_equal(plugins_restart_delay(1, 0, 1, 1), -1);
    assert_int_equal(plugins_restart_delay(1, 3, 1, 1), 10);
    assert_int_equal(plugins_restart_delay(-2, 3, 10, 3), 30);
    assert_int_equal(plugins_restart_delay(1, 3, 11, 1), -1);
    assert_int_equal(plugins_restart_delay(0, 1, 0, 0), 1);       /* update_every <= 0: 1 */
}

static int status_of(const char *cmd)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(plugins_exit_code(status_of("exit 0")), 0);
    assert_int_equal(plugins_exit_code(status_of("exit 3")), 3);
    assert_int_equal(plugins_exit_code(status_of("kill -TERM $$")), 0);
    assert_int_equal(plugins_exit_code(status_of("kill -KILL $$")), -1);
}

static void test_env(void **state)
{
    (void)state;
    setenv("NETDATA_UPDATE_EVERY", "99", 1);          /* ours always wins */
    setenv("NETDATA_CONFIG_DIR", "/tmp/cfg", 1);      /* a directory from our environment stays */
    char **env = plugins_env_new("host1", "/p/dir", 3);
    assert_non_null(env);
    int ue = 0, cfg = 0, host = 0, dir = 0, stock = 0, ver = 0;
    for (char **e = env; *e; e++) {
        ue += strcmp(*e, "NETDATA_UPDATE_EVERY=3") == 0;
        assert_string_not_equal(*e, "NETDATA_UPDATE_EVERY=99");
        cfg += strcmp(*e, "NETDATA_CONFIG_DIR=/tmp/cfg") == 0;
        host += strcmp(*e, "NETDATA_HOSTNAME=host1") == 0;
        dir += strcmp(*e, "NETDATA_PLUGINS_DIR=/p/dir") == 0;
        stock += strcmp(*e, "NETDATA_STOCK_CONFIG_DIR=/usr/lib/netdata/conf.d") == 0;
        ver += strcmp(*e, "NETDATA_VERSION=v1.37.1") == 0;
    }
    assert_true(ue == 1 && cfg == 1 && host == 1 && dir == 1 && stock == 1 && ver == 1);
    plugins_env_free(env);
    plugins_env_free(NULL);
    unsetenv("NETDATA_UPDATE_EVERY");
    unsetenv("NETDATA_CONFIG_DIR");
}

static void write_plugin(const char *dir, const char *name, const char *body)
{
    char text[4096];
    snprintf(text, sizeof text, "#!/bin/sh\n%s", body);
    testutil_write_file(dir, name, text, strlen(text));
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(chmod(path, 0755), 0);
}

static int lines_of(const char *dir, const char *name)
{
    char path[512], b[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(b, sizeof b, f)) {
        n++;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

static void drive(Plugins *ps, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= ms) {
            return;
        }
        struct pollfd fds[PLUGINS_MAX_FDS];
        size_t n = plugins_pollfds(ps, fds, PLUGINS_MAX_FDS);
        int wait = plugins_timeout_ms(ps);
        wait = wait > 100 ? 100 : wait;
        int r = poll(fds, n, wait);
        plugins_run(ps, fds, r > 0 ? n : 0);
    }
}

static void test_live(void **state)
{
    (void)state;
    char *dir = testutil_temp_dir("plugins");
    int leak = open("/dev/null", O_RDONLY);           /* no O_CLOEXEC: must not reach a plugin */
    assert_true(leak > 2);
    char body[2048];
    snprintf(body, sizeof body,
             "ok=1\n"
             "[ \"$1\" = 1 ] || ok=0\n"
             "[ \"$NETDATA_UPDATE_EVERY\" = 1 ] || ok=0\n"
             "[ \"$NETDATA_PLUGINS_DIR\" = '%s' ] || ok=0\n"
             "[ -p /dev/stdin ] || ok=0\n"
             "[ -e /proc/$$/fd/%d ] && ok=0\n"
             "echo \"CHART t.good '' 'good' 'x' t t.good line 1 1\"\n"
             "echo \"DIMENSION ok '' absolute 1 1\"\n"
             "i=0\n"
             "while [ $i -lt 30 ]; do\n"
             "  printf 'BEGIN t.good\\nSET ok = %%d\\nEND\\n' $ok; i=$((i+1)); sleep 0.05\n"
             "done\n"
             "read x\n"                                 /* stdin stays open: blocks */
             "echo stdin-closed >&2\n",
             dir, leak);
    write_plugin(dir, "good.plugin", body);
    write_plugin(dir, "once.plugin",
                 "echo run >> \"$NETDATA_PLUGINS_DIR/once.runs\"\n"
                 "printf \"CHART t.once '' o x t t.once line 1 1\\nDIMENSION d '' absolute 1 1\\n"
                 "BEGIN t.once\\nSET d = 1\\nEND\\n\"\n");
    write_plugin(dir, "disable.plugin",
                 "echo run >> \"$NETDATA_PLUGINS_DIR/disable.runs\"\necho DISABLE\nsleep 20\n");
    write_plugin(dir, "stubborn.plugin",
                 "trap '' TERM\necho $$ > \"$NETDATA_PLUGINS_DIR/stubborn.pid\"\n"
                 "while :; do sleep 0.1; done\n");
    write_plugin(dir, "skipped.sh", "echo run >> \"$NETDATA_PLUGINS_DIR/skipped.runs\"\n");

    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 3600, .update_every = 1};
    RrdDb *db = rrd_db_new("plug", "", &cfg, NULL);
    assert_non_null(db);
    Plugins *ps = plugins_new(db->localhost, dir, 1);
    assert_non_null(ps);
    RrdHost *h = db->localhost;
    /* run until the plugins have done what is checked below, at most 20 s: a loaded machine
       (CI under ASan) is slow to spawn shells, and a fixed wait made this test flaky */
    for (int waited = 0; waited < 20000; waited += 200) {
        drive(ps, 200);
        pthread_mutex_lock(&h->lock);
        RrdChart *g = rrd_chart_find(h, "t.good");
        int done = g && g->counter >= 10 && rrd_chart_find(h, "t.once");
        pthread_mutex_unlock(&h->lock);
        if (done && waited >= 2400 && lines_of(dir, "once.runs") >= 2) {
            break;
        }
    }

    pthread_mutex_lock(&h->lock);
    RrdChart *good = rrd_chart_find(h, "t.good");
    assert_non_null(good);
    assert_true(good->counter >= 10);
    assert_true(rrd_dim_find(good, "ok")->last_collected == 1);  /* argv, env, stdin, fds ok */
    assert_string_equal(good->plugin, "good.plugin");            /* CHART's default plugin */
    assert_int_equal(good->labels.n, 2);
    assert_string_equal(good->labels.v[0].name, "_collect_plugin");
    assert_string_equal(good->labels.v[0].value, "good.plugin");
    assert_string_equal(good->labels.v[1].value, "[none]");
    assert_non_null(rrd_chart_find(h, "t.once"));
    pthread_mutex_unlock(&h->lock);
    assert_true(lines_of(dir, "once.runs") >= 2);               /* exit 0: back after 1 s */
    assert_int_equal(lines_of(dir, "disable.runs"), 1);         /* DISABLE: never again */
    assert_int_equal(lines_of(dir, "skipped.runs"), 0);         /* not a .plugin */

    char pidtext[32] = "";
    char path[512];
    snprintf(path, sizeof path, "%s/stubborn.pid", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(pidtext, sizeof pidtext, f));
    fclose(f);
    pid_t stubborn = (pid_t)atoi(pidtext);
    assert_true(stubborn > 1 && kill(stubborn, 0) == 0);

    time_t t0 = time(NULL);
    plugins_free(ps);                               /* SIGTERM, SIGKILL after 5 s, reaped */
    assert_true(time(NULL) - t0 <= 8);
    assert_true(kill(stubborn, 0) != 0 && errno == ESRCH);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);          /* no child left, none unreaped */
    plugins_free(NULL);
    rrd_db_free(db);
    close(leak);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_policy),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
