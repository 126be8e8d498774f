/* Tests of lib/io.c: sha256 vectors, atomic writes, gzip-transparent reads, line reader. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "t.h"

static void test_sha256(void)
{
    char h[65];
    ar_sha256_hex((const unsigned char *)"", 0, h);
    CHECK(strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "empty: %s", h);
    ar_sha256_hex((const unsigned char *)"abc", 3, h);
    CHECK(strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "abc: %s", h);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ar_sha256_hex((const unsigned char *)m, strlen(m), h);
    CHECK(strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "448-bit: %s", h);
}

static void test_roundtrip_gz_and_lines(void)
{
    char dir[] = "/tmp/ar_test_io_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char p[256], pg[256];
    snprintf(p, sizeof p, "%s/a.txt", dir);
    snprintf(pg, sizeof pg, "%s/a.txt.gz", dir);
    const char *text = "one\r\ntwo\n\nlast-no-newline";
    ar_err e = {0};
    CHECK(ar_write_file(p, text, strlen(text), -1, &e) == 0, "%s", e.msg);
    CHECK(ar_write_file(pg, text, strlen(text), -1, &e) == 0, "%s", e.msg);
    for (int k = 0; k < 2; k++) {
        unsigned char *b;
        size_t n;
        CHECK(ar_read_all(k ? pg : p, &b, &n, &e) == 0, "%s", e.msg);
        CHECK(n == strlen(text) && memcmp(b, text, n) == 0, "content differs");
        free(b);
        ar_lines *r;
        CHECK(ar_lines_open(&r, k ? pg : p, &e) == 0, "%s", e.msg);
        char *line;
        size_t len;
        const char *want[] = {"one", "two", "", "last-no-newline"};
        int i = 0, rc;
        while ((rc = ar_lines_next(r, &line, &len, &e)) == 1) {
            CHECK(i < 4 && strcmp(line, want[i]) == 0, "line %d = '%s'", i, line);
            CHECK(ar_lines_lineno(r) == i + 1, "lineno");
            i++;
        }
        CHECK(rc == 0 && i == 4, "rc %d lines %d", rc, i);
        ar_lines_close(r);
    }
    /* gz output really is gzip */
    FILE *f = fopen(pg, "rb");
    unsigned char mg[2] = {0};
    CHECK(f && fread(mg, 1, 2, f) == 2 && mg[0] == 0x1f && mg[1] == 0x8b, "gzip magic");
    if (f) fclose(f);
    /* abort leaves nothing */
    ar_out o;
    char q[256];
    snprintf(q, sizeof q, "%s/b.bin", dir);
    CHECK(ar_out_open(&o, q, 0, &e) == 0, "%s", e.msg);
    ar_out_write(&o, "xyz", 3, &e);
    ar_out_abort(&o);
    CHECK(access(q, F_OK) != 0, "aborted output exists");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp >/dev/null && exit 1; rm -rf %s", dir, dir);
    CHECK(system(cmd) == 0, "temp files left behind in %s", dir);
    /* missing file is an I/O error naming the file */
    unsigned char *b;
    size_t n;
    CHECK(ar_read_all("/nonexistent/x.npy", &b, &n, &e) == AR_EIO, "code");
    CHECK(strstr(e.msg, "/nonexistent/x.npy") != NULL, "msg: %s", e.msg);
}

static void test_device_written_in_place(void)
{
    ar_err e = {0};
    CHECK(ar_write_file("/dev/null", "abc", 3, -1, &e) == 0, "%s", e.msg);
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is no longer a character device");
    CHECK(ar_write_file("/tmp", "abc", 3, -1, &e) == AR_EIO, "writing onto a directory must fail");
}

int main(void)
{
    RUN(test_device_written_in_place);
    RUN(test_sha256);
    RUN(test_roundtrip_gz_and_lines);
    T_EXIT();
}
