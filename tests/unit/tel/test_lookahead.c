/*
 * The SIP socket read ahead of libre (src/tel/lookahead.c), on a real UDP
 * socket over loopback, with this test in libre's place: it reads one
 * datagram per turn and hands it to lookahead_turn() as libre's UDP helper
 * chain does. While shedding, a turn reads everything queued: what the
 * judge refuses is gone at once, the rest reaches "libre" one per turn, in
 * arrival order, with its mark and its kernel receive time; the pump keeps
 * the turns coming once the socket is empty, and the engine's tick sends
 * another when one is lost. Not shedding, nothing is read
 * ahead, and a datagram is judged only when it has to wait behind the queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "test.h"
#include "tel/rt.h"

static int sip = -1, peer = -1;
static struct sa sip_addr;
static char got[1024][32]; /* what libre parsed, in order */
static uint64_t marks[1024];
static int ngot, nrefused;

/* Refuses what starts with 'R'; marks what starts with 'A'. */
static bool judge(const struct sa *src, const char *buf, size_t len, int fd, uint64_t *admitted)
{
    (void)src, (void)fd;
    *admitted = 0;
    if (len && buf[0] == 'R') {
        nrefused++;
        return true;
    }
    if (len && buf[0] == 'A')
        *admitted = 4200 + (uint64_t)len;
    return false;
}

static int setup(void **state)
{
    (void)state;
    lookahead_reset();
    ngot = nrefused = 0;
    sip = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    peer = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int size = 4 << 20;
    setsockopt(sip, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    sa_set_str(&sip_addr, "127.0.0.1", 0);
    assert_int_equal(bind(sip, &sip_addr.u.sa, sip_addr.len), 0);
    sip_addr.len = sizeof(sip_addr.u);
    assert_int_equal(getsockname(sip, &sip_addr.u.sa, &sip_addr.len), 0);
    struct timeval tv;
    ioctl(sip, SIOCGSTAMP, &tv); /* the first call switches the receive times on, as overload.c's does */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lookahead_reset();
    close(sip);
    close(peer);
    return 0;
}

static void send_text(const char *text)
{
    assert_int_equal(sendto(peer, text, strlen(text), 0, &sip_addr.u.sa, sip_addr.len), (ssize_t)strlen(text));
}

/* One turn of "libre": false when the socket had nothing. */
static bool turn(bool shedding)
{
    struct mbuf *mb = mbuf_alloc(8192);
    struct sa src;
    src.len = sizeof(src.u);
    ssize_t n = recvfrom(sip, mb->buf, mb->size, MSG_DONTWAIT, &src.u.sa, &src.len);
    if (n < 0) {
        mem_deref(mb);
        return false;
    }
    mb->end = (size_t)n;
    uint64_t mark = 0;
    if (!lookahead_turn(&src, mb, sip, shedding, judge, &mark) && mbuf_get_left(mb) > 4) {
        assert_true(ngot < 1024);
        snprintf(got[ngot], sizeof(got[ngot]), "%.*s", (int)mbuf_get_left(mb), (const char *)mbuf_buf(mb));
        marks[ngot++] = mark;
    }
    mem_deref(mb);
    return true;
}

/* Turns until the socket stays empty (over loopback a datagram is in the
 * socket when its send returns; a second of margin for the pump's). */
static void turns(bool shedding)
{
    for (;;) {
        while (turn(shedding))
            ;
        struct pollfd p = {.fd = sip, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            return;
    }
}

static void test_refusals_at_once_rest_in_order(void **state)
{
    (void)state;
    const char *sent[] = {"KEEP-1", "REFUSE-1", "KEEP-2", "ADMIT-3", "REFUSE-2", "KEEP-4"};
    for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
        send_text(sent[i]);
    assert_true(turn(true));
    /* one turn: libre got the first, both refusals are gone already */
    assert_int_equal(ngot, 1);
    assert_string_equal(got[0], "KEEP-1");
    assert_int_equal(nrefused, 2);
    /* the admitted one queued counts as pending, from its address only */
    struct sa here, elsewhere;
    sa_set_str(&here, "127.0.0.1", 5060);
    sa_set_str(&elsewhere, "127.0.0.2", 5060);
    assert_int_equal(lookahead_pending(NULL), 1);
    assert_int_equal(lookahead_pending(&here), 1);
    assert_int_equal(lookahead_pending(&elsewhere), 0);
    turns(true);
    assert_int_equal(lookahead_pending(NULL), 0);
    assert_int_equal(ngot, 4);
    assert_string_equal(got[1], "KEEP-2");
    assert_string_equal(got[2], "ADMIT-3");
    assert_string_equal(got[3], "KEEP-4");
    assert_int_equal(marks[2], 4200 + strlen("ADMIT-3")); /* the mark travels with its datagram */
    assert_int_equal(marks[1], 0);
    assert_int_equal(nrefused, 2);
}

static void test_new_arrivals_wait_behind_the_queue(void **state)
{
    (void)state;
    send_text("KEEP-1");
    send_text("KEEP-2");
    send_text("KEEP-3");
    assert_true(turn(true)); /* KEEP-1; KEEP-2 and KEEP-3 queued, the pump sent */
    send_text("KEEP-4");     /* behind the pump in the socket */
    send_text("REFUSE-5");
    /* not shedding any more: nothing is read ahead, but the queue goes
     * first, and what must wait behind it is judged as it is read */
    turns(false);
    assert_int_equal(ngot, 4);
    assert_int_equal(nrefused, 1);
    for (int i = 0; i < 4; i++) {
        char want[16];
        snprintf(want, sizeof(want), "KEEP-%d", i + 1);
        assert_string_equal(got[i], want);
    }
}

static void test_lost_pump_made_up_by_the_tick(void **state)
{
    (void)state;
    char drop[16];
    send_text("KEEP-1");
    send_text("KEEP-2");
    send_text("KEEP-3");
    assert_true(turn(true)); /* KEEP-1; two queued, the pump on its way */
    /* the pump lost (as when the socket's buffer is full): nothing turns */
    assert_int_equal(recv(sip, drop, sizeof(drop), MSG_DONTWAIT), 1);
    /* the engine's tick right after: not yet taken for lost */
    lookahead_tick(mono_us());
    assert_int_equal(recv(sip, drop, sizeof(drop), MSG_DONTWAIT), -1);
    turns(true);
    assert_int_equal(ngot, 1);
    /* a tick 20 ms on: another pump */
    lookahead_tick(mono_us() + 1000000);
    turns(true);
    assert_int_equal(ngot, 3);
    assert_string_equal(got[1], "KEEP-2");
    assert_string_equal(got[2], "KEEP-3");
}

static void test_not_shedding_reads_nothing_ahead(void **state)
{
    (void)state;
    send_text("KEEP-1");
    send_text("REFUSE-1");
    assert_true(turn(false));
    assert_int_equal(ngot, 1);
    assert_int_equal(nrefused, 0); /* not judged */
    int pending = 0;
    assert_int_equal(ioctl(sip, FIONREAD, &pending), 0);
    assert_true(pending > 0); /* the second is still the socket's */
    turns(false);
    assert_int_equal(ngot, 2);
    assert_string_equal(got[1], "REFUSE-1");
}

static void test_receive_time_kept(void **state)
{
    (void)state;
    struct timeval before, after, tv;
    gettimeofday(&before, NULL);
    send_text("KEEP-1");
    send_text("KEEP-2");
    usleep(30000); /* the wait being measured */
    assert_true(turn(true));
    assert_true(turn(true)); /* the pump's turn hands KEEP-2 */
    assert_int_equal(ngot, 2);
    assert_true(lookahead_stamp(&tv));
    gettimeofday(&after, NULL);
    int64_t at = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec, t0 = (int64_t)before.tv_sec * 1000000 + before.tv_usec,
            t1 = (int64_t)after.tv_sec * 1000000 + after.tv_usec;
    /* received before the 30 ms pause, not when it was handed on */
    assert_true(at >= t0 && at <= t1 - 25000);
}

static void test_many_in_order_none_lost(void **state)
{
    (void)state;
    enum { N = 900 }; /* more than the queue holds (512): the rest waits in the socket */
    char text[32];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof(text), "%s-%04d", i % 3 == 1 ? "REFUSE" : "KEEP", i);
        send_text(text);
    }
    turns(true);
    assert_int_equal(nrefused, N / 3);
    assert_int_equal(ngot, N - N / 3);
    for (int i = 0, k = 0; i < N; i++) {
        if (i % 3 == 1)
            continue;
        snprintf(text, sizeof(text), "KEEP-%04d", i);
        assert_string_equal(got[k++], text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusals_at_once_rest_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_arrivals_wait_behind_the_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_pump_made_up_by_the_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_shedding_reads_nothing_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_time_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_in_order_none_lost, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
