/*
 * The log ring of the real-time thread (src/core/log.c): its lines all reach
 * stderr, whole and in order; when stderr blocks (a pipe nobody reads) the
 * thread that logs does not wait: it goes on, the lines that find the ring
 * full are dropped, and their number is logged once stderr moves again.
 */
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static int saved_fd = -1;

static void stderr_to(int fd)
{
    fflush(stderr);
    if (saved_fd < 0)
        saved_fd = dup(2);
    assert_true(dup2(fd, 2) >= 0);
}

static void stderr_back(void)
{
    fflush(stderr);
    dup2(saved_fd, 2);
}

struct producer {
    int lines;
    int started;
    atomic_bool done;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    p->started = log_ring_start() == 0;
    for (int i = 0; i < p->lines; i++)
        log_info("ring line %d of the real-time thread", i);
    atomic_store(&p->done, true);
    return NULL;
}

static void *produce_and_stop(void *arg)
{
    produce(arg);
    log_ring_stop();
    return NULL;
}

static void test_lines_whole_and_in_order(void **state)
{
    char *path = test_tmp_path("stderr.txt");
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    assert_true(fd >= 0);
    struct producer p = {.lines = 800};
    pthread_t t;
    stderr_to(fd);
    assert_int_equal(pthread_create(&t, NULL, produce_and_stop, &p), 0);
    pthread_join(t, NULL);
    stderr_back();
    assert_true(p.started);

    FILE *f = fopen(path, "r");
    char line[1024];
    int next = 0;
    while (fgets(line, sizeof(line), f)) {
        const char *m = strstr(line, "ring line ");
        assert_non_null(m);
        assert_int_equal(atoi(m + 10), next);
        assert_non_null(strchr(line, '\n'));
        next++;
    }
    fclose(f);
    close(fd);
    assert_int_equal(next, p.lines);
    free(path);
}

struct reader {
    int fd;
    char *buf;
    size_t n, cap;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    ssize_t k;
    while ((k = read(r->fd, r->buf + r->n, r->cap - r->n - 1)) > 0)
        r->n += (size_t)k;
    r->buf[r->n] = 0;
    return NULL;
}

static void test_blocked_stderr_does_not_block_the_thread(void **state)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    /* fill the pipe: the next write to it blocks */
    int fl = fcntl(pfd[1], F_GETFL);
    fcntl(pfd[1], F_SETFL, fl | O_NONBLOCK);
    static char junk[4096];
    memset(junk, 'x', sizeof(junk));
    junk[sizeof(junk) - 1] = '\n';
    size_t filled = 0;
    ssize_t k;
    while ((k = write(pfd[1], junk, sizeof(junk))) > 0)
        filled += (size_t)k;
    fcntl(pfd[1], F_SETFL, fl);
    stderr_to(pfd[1]);

    struct producer p = {.lines = 5000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    int joined = pthread_timedjoin_np(t, NULL, &deadline);

    /* now let stderr move: read everything, stop the ring */
    struct reader r = {.fd = pfd[0], .cap = 4 << 20};
    r.buf = malloc(r.cap);
    pthread_t rt;
    assert_int_equal(pthread_create(&rt, NULL, read_all, &r), 0);
    if (joined)
        pthread_join(t, NULL);
    assert_int_equal(joined, 0); /* the producer finished while nobody read stderr */
    assert_true(p.started);
    log_ring_stop(); /* the producer has ended; this writes out the rest */
    stderr_back();
    close(pfd[1]);
    pthread_join(rt, NULL);
    close(pfd[0]);

    const char *d = strstr(r.buf, "lines of the real-time thread dropped");
    assert_non_null(d);
    int kept = 0;
    for (const char *s = r.buf; (s = strstr(s, "ring line ")); s++)
        kept++;
    assert_true(kept >= 1024 && kept < p.lines);
    const char *num = d;
    while (num > r.buf && num[-1] != ' ')
        num--;
    while (num > r.buf && num[-1] == ' ')
        num--;
    while (num > r.buf && num[-1] >= '0' && num[-1] <= '9')
        num--;
    assert_int_equal(atoi(num) + kept, p.lines);
    assert_true(filled > 0);
    free(r.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_whole_and_in_order),
        cmocka_unit_test(test_blocked_stderr_does_not_block_the_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
