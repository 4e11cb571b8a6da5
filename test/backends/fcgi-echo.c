/*
 * Test backend on the FastCGI Developer's Kit (libfcgi): a threaded RESPONDER that answers every request
 * with its params as `KEY=VALUE` lines, and the number of bytes it read on FCGI_STDIN in the X-Stdin-Length
 * header. X-Worker names the thread that served the request, so tests can see requests served side by side.
 * `?delay_ms=N` in QUERY_STRING holds the answer back N ms.
 *
 * Built by test/helpers/libfcgi-app.ts into a temp dir (never committed as a binary):
 *   cc -O2 -pthread -o fcgi-echo fcgi-echo.c -lfcgi
 * Usage: fcgi-echo HOST:PORT [THREADS]   (the listen-socket convention of FCGX_OpenSocket)
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 64

static int listen_fd;
/*
 * No accept mutex: libfcgi's threaded example serialises FCGX_Accept_r behind one, which deadlocks with
 * FCGI_KEEP_CONN (a thread whose connection was kept waits for the mutex while another thread sits in
 * accept()). Linux allows concurrent accept() calls on one socket.
 */

static long delay_ms(const char *query) {
    const char *p = query ? strstr(query, "delay_ms=") : NULL;
    if (!p || (p != query && p[-1] != '&')) return 0;
    long ms = strtol(p + 9, NULL, 10);
    return ms > 0 && ms < 60000 ? ms : 0;
}

static void *serve(void *arg) {
    long worker = (long)arg;
    FCGX_Request req;
    char buf[65536];
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0) return NULL;
    for (;;) {
        int rc = FCGX_Accept_r(&req);
        if (rc < 0) break;

        long total = 0;
        int n;
        while ((n = FCGX_GetStr(buf, sizeof buf, req.in)) > 0) total += n;

        long ms = delay_ms(FCGX_GetParam("QUERY_STRING", req.envp));
        if (ms > 0) {
            struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
            nanosleep(&ts, NULL);
        }

        FCGX_FPrintF(req.out, "Content-Type: text/plain\r\nX-Stdin-Length: %ld\r\nX-Worker: %ld\r\n\r\n", total, worker);
        for (char **e = req.envp; *e; e++) FCGX_FPrintF(req.out, "%s\n", *e);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s HOST:PORT [THREADS]\n", argv[0]);
        return 2;
    }
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 8;
    if (threads < 1 || threads > MAX_THREADS) threads = 8;

    /* A client that leaves must not kill the process: writes then fail with EPIPE instead. */
    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) {
        fprintf(stderr, "fcgi-echo: FCGX_Init failed\n");
        return 1;
    }
    /* FCGX_Init catches SIGTERM to set a "shutdown pending" flag that is only read after the next accept;
       the test harness stops us with SIGTERM and expects us gone at once. */
    signal(SIGTERM, SIG_DFL);
    listen_fd = FCGX_OpenSocket(argv[1], 128);
    if (listen_fd < 0) {
        fprintf(stderr, "fcgi-echo: cannot listen on %s\n", argv[1]);
        return 1;
    }
    pthread_t ids[MAX_THREADS];
    for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, serve, (void *)i);
    for (long i = 0; i < threads; i++) pthread_join(ids[i], NULL);
    return 0;
}
