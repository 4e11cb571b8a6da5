/*
 * The benchmark backend: a native FastCGI RESPONDER on libfcgi, fast enough that the proxy in front of it is
 * what a benchmark measures. Compiled by scripts/bench/backends.ts into a temp dir (never committed):
 *   cc -O2 -pthread -o hello hello.c -lfcgi
 * Usage: hello HOST:PORT THREADS
 *
 * Every request body is read and counted (X-Body-Bytes). QUERY_STRING chooses the answer:
 *   (nothing)              "hello", 5 bytes
 *   size=N                 N bytes of 'x', with Content-Length
 *   events=N&interval=MS   text/event-stream: N events, one every MS ms, each flushed at once
 *   (a request with a body and no size) "read N\n", N = the body bytes read
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 512
#define CHUNK 65536

static int listen_fd;
static char filler[CHUNK];

/* The value of `name=` in a query string, or `fallback` when absent or malformed. */
static long long query_num(const char *query, const char *name, long long fallback) {
    if (!query) return fallback;
    size_t n = strlen(name);
    for (const char *p = query; (p = strstr(p, name)) != NULL; p += n) {
        if ((p == query || p[-1] == '&') && p[n] == '=') {
            char *end;
            long long v = strtoll(p + n + 1, &end, 10);
            return end == p + n + 1 || v < 0 ? fallback : v;
        }
    }
    return fallback;
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void respond(FCGX_Request *req, long long body_bytes) {
    const char *query = FCGX_GetParam("QUERY_STRING", req->envp);
    long long events = query_num(query, "events", -1);
    if (events >= 0) {
        long interval = (long)query_num(query, "interval", 100);
        /* X-Accel-Buffering: nginx passes each event on at once instead of filling its buffers first. */
        FCGX_FPrintF(req->out, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                               "X-Accel-Buffering: no\r\n\r\n");
        if (FCGX_FFlush(req->out) < 0) return;
        for (long long i = 0; i < events; i++) {
            if (i > 0) sleep_ms(interval);
            FCGX_FPrintF(req->out, "id: %lld\ndata: event %lld\n\n", i, i);
            /* A client that left shows up here as a failed write: stop trickling. */
            if (FCGX_FFlush(req->out) < 0) return;
        }
        return;
    }
    long long size = query_num(query, "size", -1);
    if (size < 0 && body_bytes > 0) {
        FCGX_FPrintF(req->out, "Content-Type: text/plain\r\nX-Body-Bytes: %lld\r\n\r\nread %lld\n", body_bytes, body_bytes);
        return;
    }
    if (size < 0) {
        FCGX_PutS("Content-Type: text/plain\r\nContent-Length: 5\r\nX-Body-Bytes: 0\r\n\r\nhello", req->out);
        return;
    }
    FCGX_FPrintF(req->out, "Content-Type: application/octet-stream\r\nContent-Length: %lld\r\nX-Body-Bytes: %lld\r\n\r\n",
                 size, body_bytes);
    while (size > 0) {
        int n = size < CHUNK ? (int)size : CHUNK;
        if (FCGX_PutStr(filler, n, req->out) < 0) return;
        size -= n;
    }
}

static void *serve(void *arg) {
    (void)arg;
    FCGX_Request req;
    static __thread char buf[CHUNK];
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0) return NULL;
    /*
     * No accept mutex (libfcgi's threaded example has one): with FCGI_KEEP_CONN a thread keeps its connection
     * inside FCGX_Accept_r, and a mutex around that call would make the others wait for it. Linux lets many
     * threads block in accept() on one socket.
     */
    while (FCGX_Accept_r(&req) >= 0) {
        long long total = 0;
        int n;
        while ((n = FCGX_GetStr(buf, sizeof buf, req.in)) > 0) total += n;
        respond(&req, total);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s HOST:PORT [THREADS]\n", argv[0]);
        return 2;
    }
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 32;
    if (threads < 1 || threads > MAX_THREADS) threads = 32;
    memset(filler, 'x', sizeof filler);

    /* A proxy that drops a connection must not kill us: the write fails with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) {
        fprintf(stderr, "hello: FCGX_Init failed\n");
        return 1;
    }
    /* FCGX_Init makes SIGTERM only set a flag read after the next accept; the harness wants us gone at once. */
    signal(SIGTERM, SIG_DFL);
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s\n", argv[1]);
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t ids[MAX_THREADS];
    for (long i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], &attr, serve, NULL) != 0) {
            fprintf(stderr, "hello: cannot start thread %ld\n", i);
            return 1;
        }
    }
    for (long i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    return 0;
}
