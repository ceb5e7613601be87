/*
 * Tests for util/lm_md5: the RFC 1321 appendix A.5 test suite, inputs that
 * straddle the 55/56/64-byte padding boundaries (checked against md5sum),
 * and streaming a message in uneven pieces, which must give the same digest
 * as hashing it in one call.
 */
#include "../util/lm_md5.h"
#include "lm_test.h"

static void hex_of(const void *data, size_t len, char hex[33])
{
    lm_md5 m;
    lm_md5_init(&m);
    lm_md5_update(&m, data, len);
    lm_md5_final_hex(&m, hex);
}

static void test_rfc1321_vectors(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[33];
        hex_of(cases[i].in, strlen(cases[i].in), hex);
        LM_CHECK_STR(hex, cases[i].want);
    }
}

/* Lengths around the padding boundary: the length field either fits in the
 * last block or forces an extra one.  Expected values from coreutils md5sum
 * of runs of 'a'. */
static void test_padding_boundaries(void)
{
    static const struct {
        size_t len;
        const char *want;
    } cases[] = {
        {55, "ef1772b6dff9a122358552954ad0df65"},
        {56, "3b0c8ac703f828b04c6c197006d17218"},
        {57, "652b906d60af96844ebd21b674f35e93"},
        {63, "b06521f39153d618550606be297466d5"},
        {64, "014842d480b571495a4a0363793f7367"},
        {65, "c743a45e0d2e6a95cb859adae0248435"},
        {1000, "cabe45dcc9ae5b66ba86600cca6b8ba8"},
    };
    char a[1000];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[33];
        hex_of(a, cases[i].len, hex);
        LM_CHECK_STR(hex, cases[i].want);
    }
}

static void test_streamed_pieces(void)
{
    /* 10,000 bytes of a non-repeating pattern fed in pieces of 1, 2, 3 ...
     * bytes so that every block offset is crossed. */
    enum { N = 10000 };
    static unsigned char msg[N];
    for (size_t i = 0; i < N; i++)
        msg[i] = (unsigned char)(i * 131 + (i >> 7));

    char whole[33];
    hex_of(msg, N, whole);

    for (size_t step = 1; step <= 97; step += 8) {
        lm_md5 m;
        lm_md5_init(&m);
        size_t off = 0, piece = step;
        while (off < N) {
            size_t n = piece < N - off ? piece : N - off;
            lm_md5_update(&m, msg + off, n);
            off += n;
            piece = piece % 131 + 1;   /* vary the piece length as we go */
        }
        LM_CHECK_INT(m.length, N);
        char hex[33];
        lm_md5_final_hex(&m, hex);
        LM_CHECK_STR(hex, whole);
    }

    /* The million-'a' vector from common MD5 test suites, fed 1000 at a
     * time. */
    char a[1000];
    memset(a, 'a', sizeof a);
    lm_md5 m;
    lm_md5_init(&m);
    for (int i = 0; i < 1000; i++)
        lm_md5_update(&m, a, sizeof a);
    char hex[33];
    lm_md5_final_hex(&m, hex);
    LM_CHECK_STR(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

static void test_raw_digest(void)
{
    lm_md5 m;
    lm_md5_init(&m);
    lm_md5_update(&m, "abc", 3);
    unsigned char d[16];
    lm_md5_final(&m, d);
    static const unsigned char want[16] = {0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2,
                                           0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d,
                                           0x28, 0xe1, 0x7f, 0x72};
    LM_CHECK(memcmp(d, want, 16) == 0);
    /* Re-initialising makes the context reusable. */
    lm_md5_init(&m);
    char hex[33];
    lm_md5_final_hex(&m, hex);
    LM_CHECK_STR(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

int main(void)
{
    LM_RUN(test_rfc1321_vectors);
    LM_RUN(test_padding_boundaries);
    LM_RUN(test_streamed_pieces);
    LM_RUN(test_raw_digest);
    return LM_DONE();
}
