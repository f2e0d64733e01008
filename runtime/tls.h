/*
** tls.h - streamd's server-side TLS (OpenSSL 3): one context from the policy's [web] ssl
** certificate and ssl key, TLS detection on ports that serve both (a ClientHello starts with
** the handshake record type 0x16), and non-blocking reads and writes that look like recv/send.
*/
#ifndef STREAMC_TLS_H
#define STREAMC_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

/* The server context, or NULL with *WHY set when either file is missing or they do not match
   (Netdata then serves plain HTTP only; the caller logs WHY). */
SSL_CTX *tls_server_new(const char *cert, const char *key, const char **why);
void tls_server_free(SSL_CTX *ctx);

/* Peek at the first byte of FD: 1 TLS ClientHello, 0 plain, -1 nothing yet (EAGAIN), -2 the
   peer closed or failed. */
int tls_detect(int fd);

/* Drive SSL_accept: 1 done, 0 in progress (*WANT_WRITE says which event to wait for), -1 failed. */
int tls_accept(SSL *ssl, int *want_write);

/* recv/send over SSL with the socket's conventions: > 0 bytes, 0 peer closed, -1 with errno
   (EAGAIN when OpenSSL wants more I/O; *WANT_WRITE set when it wants to write). */
ssize_t tls_read(SSL *ssl, void *buf, size_t n, int *want_write);
ssize_t tls_write(SSL *ssl, const void *buf, size_t n, int *want_write);

/* Client side. A context that verifies against CA_FILE / CA_PATH when either is set (else the
   system's default locations); NULL with WHY on failure. WHY is also filled (and the defaults
   used) when the locations cannot be loaded, as Netdata falls back. */
SSL_CTX *tls_client_new(const char *ca_file, const char *ca_path, char *why, size_t cap);
/* A client connection on FD for HOST: SNI when HOST is a name, and the name or IP address the
   certificate must carry (checked by tls_client_verified). NULL when out of memory. */
SSL *tls_client_conn(SSL_CTX *ctx, int fd, const char *host);
/* Drive SSL_connect: 1 done, 0 in progress, -1 failed. */
int tls_connect(SSL *ssl, int *want_write);
/* After the handshake: NULL when the peer's certificate chain and host name verified, else
   OpenSSL's reason text. */
const char *tls_client_verified(SSL *ssl);

/* A short description of the last OpenSSL error (thread-local buffer). */
const char *tls_error(void);

#endif
