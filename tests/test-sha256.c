/*
 * Tests for util/lm_sha256: the FIPS 180-4 / NIST example messages, inputs
 * around the 55/56/64-byte padding boundaries and a million 'a's (expected
 * values from coreutils sha256sum), and streaming in uneven pieces, which
 * must give the digest of hashing in one call.
 */
#include "../util/lm_sha256.h"
#include "lm_test.h"

static void hex_of(const void *data, size_t len, char hex[65])
{
    lm_sha256 s;
    lm_sha256_init(&s);
    lm_sha256_update(&s, data, len);
    lm_sha256_final_hex(&s, hex);
}

static void test_nist_vectors(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
         "klmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        hex_of(cases[i].in, strlen(cases[i].in), hex);
        LM_CHECK_STR(hex, cases[i].want);
    }
}

static void test_padding_boundaries(void)
{
    static const struct {
        size_t len;
        const char *want;
    } cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
    };
    char a[1000];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        hex_of(a, cases[i].len, hex);
        LM_CHECK_STR(hex, cases[i].want);
    }
}

static void test_million_a(void)
{
    char a[1000];
    memset(a, 'a', sizeof a);
    lm_sha256 s;
    lm_sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        lm_sha256_update(&s, a, sizeof a);
    char hex[65];
    lm_sha256_final_hex(&s, hex);
    LM_CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_streamed_pieces(void)
{
    enum { N = 10000 };
    static unsigned char msg[N];
    for (size_t i = 0; i < N; i++)
        msg[i] = (unsigned char)(i * 167 + (i >> 5));
    char whole[65];
    hex_of(msg, N, whole);
    for (size_t step = 1; step <= 131; step += 10) {
        lm_sha256 s;
        lm_sha256_init(&s);
        for (size_t off = 0, k = 0; off < N; k++) {
            size_t n = step + k % 7;   /* uneven pieces cross every block offset */
            if (n > N - off)
                n = N - off;
            lm_sha256_update(&s, msg + off, n);
            off += n;
        }
        char hex[65];
        lm_sha256_final_hex(&s, hex);
        LM_CHECK_STR(hex, whole);
    }
}

int main(void)
{
    LM_RUN(test_nist_vectors);
    LM_RUN(test_padding_boundaries);
    LM_RUN(test_million_a);
    LM_RUN(test_streamed_pieces);
    return LM_DONE();
}
