/*
** test_sbuf.c - cmocka tests for runtime/sbuf.c: the bound (an append that does not fit is
** dropped whole, the overflow flag is sticky, the length never passes max), the long printf
** path, and the JSON and HTML escapers on hostile input (quotes, control bytes, every kind of
** ill-formed UTF-8). The API bodies built with it are checked by test_http_api.c
** and test_http_api_data.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbuf.h"

static void test_sbuf_bound(void **state)
{
    (void)state;
    Sbuf b;
    sbuf_init(&b, 10);
    assert_string_equal(sbuf_str(&b), "");
    sbuf_puts(&b, "12345");
    sbuf_printf(&b, "%d", 678);
    assert_string_equal(sbuf_str(&b), "12345678");
    sbuf_puts(&b, "abc");                          /* 11 > 10: dropped whole */
    assert_true(b.overflow);
    assert_int_equal(b.len, 8);
    sbuf_putc(&b, 'x');                            /* would fit, but overflow is sticky */
    assert_string_equal(sbuf_str(&b), "12345678");
    sbuf_reset(&b);
    assert_false(b.overflow);
    sbuf_puts(&b, "0123456789");                   /* exactly max */
    assert_false(b.overflow);
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 11);
    sbuf_free(&b);
    sbuf_init(&b, 1000);
    sbuf_printf(&b, "%0500d", 7);                  /* the long printf path */
    assert_int_equal(b.len, 500);
    sbuf_printf(&b, "%0501d", 7);
    assert_true(b.overflow);
    assert_int_equal(b.len, 500);
    sbuf_free(&b);
    sbuf_free(NULL);
}

static void test_json_escape(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } rows[] = {
        {"plain", "\"plain\""},
        {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
        {"\b\f\n\r\t\x01\x1f\x7f", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\""},
        {"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9", "\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\""},
        {"\xff", "\"\\ufffd\""},
        {"a\xc0\xaf", "\"a\\ufffd\\ufffd\""},               /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},     /* surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},   /* above U+10FFFF */
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},                /* truncated */
        {"\x80x", "\"\\ufffdx\""},                         /* stray continuation */
        {"", "\"\""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        Sbuf b;
        sbuf_init(&b, 1 << 10);
        sbuf_json_str(&b, rows[i].in);
        assert_string_equal(sbuf_str(&b), rows[i].out);
        sbuf_free(&b);
    }
    Sbuf b;
    sbuf_init(&b, 100);
    sbuf_html_esc(&b, "<a href='/x'>&\"");
    assert_string_equal(sbuf_str(&b), "&lt;a href=&#x27;&#x2F;x&#x27;&gt;&amp;&quot;");
    sbuf_free(&b);
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"a", 1), 1);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);   /* bounded by n */
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xef\xbf\xbd", 3), 3);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xe0\x80\x80", 3), 0);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"\xc1\xbf", 2), 0);
    assert_int_equal(sbuf_utf8_len((const unsigned char *)"", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbuf_bound),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_utf8_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
