/*
** http_api_streamd.c - the "streamd" object of /api/v1/info (http_api.c): the host's effective
** per-child settings from the policy (the proxy API key masked to its first 8 and last 4
** characters), its sender (upstream link, null when the host is not streamed) and its receiver
** state (null for the node's own host).
*/
#include <string.h>

#include "http_api.h"
#include "sender.h"

/* KEY masked for display: the first 8 and last 4 characters kept, '-' kept, the rest '*'. */
static void masked_key(Sbuf *b, const char *key)
{
    size_t n = strlen(key);
    sbuf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        char m[2] = {(n >= 16 && (i < 8 || i + 4 >= n)) || c == '-' ? c : '*', 0};
        sbuf_json_esc(b, m);
    }
    sbuf_putc(b, '"');
}

static const char *opt_str(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* "sender": where H is streamed upstream (its own host, or a proxied child), or null. */
static void info_sender(Sbuf *b, RrdHost *h)
{
    SenderStats st;
    if (sender_stats(h, &st) != 0) {
        sbuf_puts(b, "\t\t\"sender\": null,\n");
        return;
    }
    sbuf_printf(b, "\t\t\"sender\": {\n\t\t\t\"connected\": %s,\n", st.connected ? "true" : "false");
    http_api_kv_str(b, "\t\t\t", "destination", st.connected ? st.connected_to : NULL, ",\n");
    sbuf_printf(b, "\t\t\t\"connections\": %llu,\n\t\t\t\"bytes_sent\": %llu,\n"
                   "\t\t\t\"buffer_full\": %llu,\n\t\t\t\"buffer_used\": %zu,\n"
                   "\t\t\t\"buffer_max\": %zu,\n\t\t\t\"compression\": %s,\n"
                   "\t\t\t\"lz4_plain_bytes\": %llu,\n\t\t\t\"lz4_frame_bytes\": %llu,\n"
                   "\t\t\t\"replication_answers\": %llu,\n"
                   "\t\t\t\"replication_points\": %llu\n\t\t},\n",
                (unsigned long long)st.connections, (unsigned long long)st.bytes_sent,
                (unsigned long long)st.buffer_full, st.buffer_used, st.buffer_max,
                st.compressed ? "true" : "false", (unsigned long long)st.plain_bytes,
                (unsigned long long)st.lz4_bytes, (unsigned long long)st.repl_answers,
                (unsigned long long)st.repl_points);
}

/* The "streamd" object: H's effective settings from the policy, its sender and its receiver
   state. */
void http_api_info_streamd(Sbuf *b, const RrdHost *h, int64_t now_s)
{
    static const char *const health[] = {"no", "yes", "auto"};
    const RrdHostConfig *cfg = &h->cfg;
    const char *I = "\t\t";
    sbuf_puts(b, "\t\"streamd\": {\n");
    http_api_kv_str(b, I, "memory_mode", http_api_mode_name(cfg->memory_mode), ",\n");
    http_api_kv_str(b, I, "storage_engine", h->ops ? h->ops->name : NULL, ",\n");
    sbuf_printf(b, "\t\t\"history\": %ld,\n\t\t\"update_every\": %d,\n", cfg->history,
                http_api_update_every(h));
    http_api_kv_str(b, I, "health", cfg->health >= 0 && cfg->health <= 2 ? health[cfg->health] : "auto",
           ",\n");
    sbuf_printf(b, "\t\t\"postpone_alarms\": %ld,\n\t\t\"proxy_enabled\": %s,\n",
                cfg->postpone_alarms, cfg->proxy_enabled ? "true" : "false");
    http_api_kv_str(b, I, "proxy_destination", opt_str(cfg->proxy_destination), ",\n");
    sbuf_puts(b, "\t\t\"proxy_api_key\": ");
    if (opt_str(cfg->proxy_api_key)) {
        masked_key(b, cfg->proxy_api_key);
    } else {
        sbuf_puts(b, "null");
    }
    http_api_kv_str(b, ",\n\t\t", "proxy_send_charts", opt_str(cfg->proxy_send_charts), ",\n");
    info_sender(b, (RrdHost *)h);
    if (h->is_localhost) {
        sbuf_puts(b, "\t\t\"receiver\": null\n\t}\n");
        return;
    }
    sbuf_printf(b, "\t\t\"receiver\": {\n\t\t\t\"connected\": %s,\n\t\t\t\"connections\": %ld,\n"
                   "\t\t\t\"updates\": %llu,\n\t\t\t\"capabilities\": %llu,\n",
                h->connected ? "true" : "false", h->connections,
                (unsigned long long)h->updates, (unsigned long long)h->capabilities);
    const char *names[] = {"last_data_age", "connected_since", "disconnected_since"};
    int64_t vals[] = {h->last_data_s > 0 ? now_s - h->last_data_s : -1,
                      h->connected_since_s > 0 ? h->connected_since_s : -1,
                      h->disconnected_since_s > 0 ? h->disconnected_since_s : -1};
    for (size_t i = 0; i < 3; i++) {
        sbuf_printf(b, "\t\t\t\"%s\": ", names[i]);
        if (vals[i] >= 0) {
            sbuf_printf(b, "%lld", (long long)vals[i]);
        } else {
            sbuf_puts(b, "null");
        }
        sbuf_puts(b, i < 2 ? ",\n" : "\n");
    }
    sbuf_puts(b, "\t\t}\n\t}\n");
}
