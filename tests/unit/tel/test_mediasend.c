/*
 * The RTP sender thread (src/tel/mediasend.c) with real UDP sockets on
 * loopback: packets leave in the order they were queued, byte for byte, to
 * their destination; a queue smaller than a burst hands the excess back to
 * the caller (never dropped); a socket whose free is asked for while
 * packets for it wait is closed only after they left; stopping sends what
 * is queued.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "tel/rt.h"

static int sink; /* a plain socket the packets go to */
static struct sa sink_addr;

static int setup(void **state)
{
    assert_int_equal(libre_init(), 0);
    assert_int_equal(conf_register(tel_conf, tel_conf_count), 0);
    sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(sink >= 0);
    int big = 4 << 20;
    setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    assert_int_equal(sa_set_str(&sink_addr, "127.0.0.1", 0), 0);
    assert_int_equal(bind(sink, &sink_addr.u.sa, sink_addr.len), 0);
    socklen_t len = sizeof(sink_addr.u);
    assert_int_equal(getsockname(sink, &sink_addr.u.sa, &len), 0);
    sink_addr.len = len;
    return 0;
}

static int teardown(void **state)
{
    close(sink);
    conf_reset();
    libre_close();
    return 0;
}

static void rtp_h(const struct sa *src, const struct rtp_header *hdr, struct mbuf *mb, void *arg)
{
}

static struct rtp_sock *leg_sock(void)
{
    struct rtp_sock *rs = NULL;
    struct sa l;
    sa_set_str(&l, "127.0.0.1", 0);
    assert_int_equal(rtp_listen(&rs, IPPROTO_UDP, &l, 30000, 40000, false, rtp_h, NULL, NULL), 0);
    return rs;
}

/* The next packet at the sink, within 5 s: its length (0: none came). */
static size_t recv_one(uint8_t *buf, size_t n, struct sa *from)
{
    struct pollfd p = {.fd = sink, .events = POLLIN};
    if (poll(&p, 1, 5000) != 1)
        return 0;
    socklen_t len = sizeof(from->u);
    ssize_t r = recvfrom(sink, buf, n, 0, &from->u.sa, &len);
    from->len = len;
    return r > 0 ? (size_t)r : 0;
}

static void fill(uint8_t *p, size_t n, unsigned seq)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seq * 7 + i);
}

/* 2,000 packets of 172 bytes through a queue of 4,096: every one arrives, in
 * order, from the leg's own port, byte for byte. The sender is woken for a
 * batch or after a pause, and by the kick of each media tick for the rest. */
static void test_order_and_bytes(void **state)
{
    (void)state;
    conf_set("sip.media_send_queue", "4096", "test");
    assert_int_equal(media_sender_start(), 0);
    assert_true(media_sender_on());
    struct rtp_sock *rs = leg_sock();
    uint16_t port = sa_port(rtp_local(rs));
    enum { N = 2000, LEN = 172 };
    uint8_t out[LEN], in[600];
    int queued = 0;
    for (unsigned i = 0; i < N; i++) {
        fill(out, LEN, i);
        if (media_sender_push(udp_sock_fd(rtp_sock(rs), AF_INET), &sink_addr, out, LEN))
            queued++;
        else
            assert_int_equal(udp_send(rtp_sock(rs), &sink_addr, &(struct mbuf){.buf = out, .size = LEN, .end = LEN}), 0);
        if (i % 100 == 99) {     /* read as we go: the sink's buffer holds ~150 */
            media_sender_kick(); /* as the media tick does: the last few, fewer than a batch, go now */
            for (unsigned k = i - 99; k <= i; k++) {
                struct sa from;
                size_t n = recv_one(in, sizeof(in), &from);
                assert_int_equal(n, LEN);
                fill(out, LEN, k);
                assert_memory_equal(in, out, LEN);
                assert_int_equal(sa_port(&from), port);
            }
        }
    }
    assert_int_equal(queued, N); /* 100 at a time never fill 4,096 */
    media_sender_free(rs);       /* no packet waits: freed at once or at the next reap */
    media_sender_drain();
    media_sender_stop();
    assert_false(media_sender_on());
}

/* A queue of 8 and a burst of 100: the pushes beyond what the sender has
 * taken are refused (the caller sends them), none is lost; a socket freed
 * with packets still queued stays open until they left; stopping sends the
 * rest. */
static void test_full_queue_and_free(void **state)
{
    (void)state;
    conf_set("sip.media_send_queue", "8", "test");
    assert_int_equal(media_sender_start(), 0);
    struct rtp_sock *rs = leg_sock();
    int fd = udp_sock_fd(rtp_sock(rs), AF_INET);
    assert_true(fd >= 0);
    enum { N = 100, LEN = 32 };
    uint8_t out[LEN], in[64];
    int refused = 0;
    for (unsigned i = 0; i < N; i++) {
        fill(out, LEN, i);
        if (!media_sender_push(udp_sock_fd(rtp_sock(rs), AF_INET), &sink_addr, out, LEN)) {
            refused++;
            assert_int_equal(udp_send(rtp_sock(rs), &sink_addr, &(struct mbuf){.buf = out, .size = LEN, .end = LEN}), 0);
        }
    }
    /* freed now: the queued packets still leave from its descriptor */
    media_sender_free(rs);
    media_sender_drain();
    /* after the drain every socket asked for is freed: its descriptor is closed */
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    int got = 0;
    struct sa from;
    while (got < N && recv_one(in, sizeof(in), &from) == LEN)
        got++;
    assert_int_equal(got, N);
    print_message("# %d of %d pushes refused by a queue of 8 (sent by the caller)\n", refused, N);
    /* 100 pushes of ~50 ns against a sender woken through an eventfd (tens
     * of µs) and a sendto of microseconds each: the queue of 8 fills */
    assert_true(refused > 0);
    media_sender_stop();
}

/* Off (0): nothing is queued, a free is immediate. */
static void test_off(void **state)
{
    (void)state;
    conf_set("sip.media_send_queue", "0", "test");
    assert_int_equal(media_sender_start(), 0);
    assert_false(media_sender_on());
    struct rtp_sock *rs = leg_sock();
    int fd = udp_sock_fd(rtp_sock(rs), AF_INET);
    uint8_t out[16] = {1};
    assert_false(media_sender_push(udp_sock_fd(rtp_sock(rs), AF_INET), &sink_addr, out, sizeof(out)));
    media_sender_free(rs);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    media_sender_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_and_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_and_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
