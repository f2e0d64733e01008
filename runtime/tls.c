/*
** tls.c - TLS for streamd (tls.h): the server side of the listeners and the client side of
** the senders. OpenSSL runs non-blocking on the event loop's
** sockets: every call may ask for more input or output, which we map onto EAGAIN plus the
** event to wait for, so the connection code treats TLS and plain sockets alike.
*/
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

const char *tls_error(void)
{
    static __thread char buf[256];
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, sizeof buf, "no OpenSSL error recorded");
    } else {
        ERR_error_string_n(e, buf, sizeof buf);
    }
    ERR_clear_error();
    return buf;
}

SSL_CTX *tls_server_new(const char *cert, const char *key, const char **why)
{
    struct stat st;
    if (!cert || !key || !*cert || !*key || stat(cert, &st) != 0 || stat(key, &st) != 0) {
        *why = "ssl certificate or ssl key file not found";
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *why = tls_error();
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        *why = tls_error();
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void tls_server_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

int tls_detect(int fd)
{
    unsigned char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1) {
        return b == 0x16;   /* TLS record type "handshake": no HTTP method starts with it */
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return -1;
    }
    return -2;
}

/* Map an SSL_* result to our conventions. */
static int want(SSL *ssl, int rc, int *want_write)
{
    int e = SSL_get_error(ssl, rc);
    *want_write = 0;
    if (e == SSL_ERROR_WANT_READ) {
        errno = EAGAIN;
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        *want_write = 1;
        errno = EAGAIN;
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        return 1;   /* clean close_notify */
    }
    errno = EPROTO;
    ERR_clear_error();
    return -1;
}

int tls_accept(SSL *ssl, int *want_write)
{
    int rc = SSL_accept(ssl);
    if (rc == 1) {
        return 1;
    }
    int w = want(ssl, rc, want_write);
    return w == 0 ? 0 : -1;
}

ssize_t tls_read(SSL *ssl, void *buf, size_t n, int *want_write)
{
    int rc = SSL_read(ssl, buf, n > 0x7fffffff ? 0x7fffffff : (int)n);
    if (rc > 0) {
        *want_write = 0;
        return rc;
    }
    int w = want(ssl, rc, want_write);
    return w == 1 ? 0 : -1;
}

ssize_t tls_write(SSL *ssl, const void *buf, size_t n, int *want_write)
{
    int rc = SSL_write(ssl, buf, n > 0x7fffffff ? 0x7fffffff : (int)n);
    if (rc > 0) {
        *want_write = 0;
        return rc;
    }
    int w = want(ssl, rc, want_write);
    if (w == 1) {
        errno = EPIPE;
    }
    return -1;
}

/* ---- client side (the sender) ------------------------------------------------------------- */

SSL_CTX *tls_client_new(const char *ca_file, const char *ca_path, char *why, size_t cap)
{
    why[0] = 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(why, cap, "cannot create the TLS client context: %s", tls_error());
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* as 1.37.1: the handshake never fails on the certificate; the verdict is read after it
       (tls_client_verified), so "skip certificate verification" is just not asking */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if ((ca_file || ca_path) &&
        SSL_CTX_load_verify_locations(ctx, ca_file && *ca_file ? ca_file : NULL,
                                      ca_path && *ca_path ? ca_path : NULL) != 1) {
        snprintf(why, cap, "cannot use CAfile '%s' / CApath '%s' (%s); using the system's "
                 "default CA locations", ca_file ? ca_file : "", ca_path ? ca_path : "",
                 tls_error());
        SSL_CTX_set_default_verify_paths(ctx);
    } else if (!ca_file && !ca_path) {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    return ctx;
}

SSL *tls_client_conn(SSL_CTX *ctx, int fd, const char *host)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl) {
        return NULL;
    }
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    if (host && *host && host[0] != '/') {
        unsigned char ip[16];
        X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
        int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
        if (is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(p, host);
        } else {
            SSL_set_tlsext_host_name(ssl, host);   /* SNI: names only (RFC 6066) */
            X509_VERIFY_PARAM_set1_host(p, host, 0);
        }
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

int tls_connect(SSL *ssl, int *want_write)
{
    ERR_clear_error();             /* SSL_get_error reads the queue: nothing stale in it */
    int rc = SSL_connect(ssl);
    if (rc == 1) {
        *want_write = 0;
        return 1;
    }
    int e = SSL_get_error(ssl, rc);
    *want_write = e == SSL_ERROR_WANT_WRITE;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return 0;
    }
    /* failed: leave OpenSSL's reason queued for the caller's tls_error() (want() would clear
       it); a socket error or an EOF queues nothing, so queue one that names it */
    if (ERR_peek_error() == 0) {
        if (e == SSL_ERROR_SYSCALL && errno) {
            ERR_raise(ERR_LIB_SYS, errno);
        } else {
            ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
        }
    }
    errno = EPROTO;
    return -1;
}

const char *tls_client_verified(SSL *ssl)
{
    long r = SSL_get_verify_result(ssl);
    if (r == X509_V_OK && SSL_get0_peer_certificate(ssl)) {
        return NULL;
    }
    return r == X509_V_OK ? "no peer certificate" : X509_verify_cert_error_string(r);
}
