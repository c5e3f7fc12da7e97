/* Text that must survive libvirt XML: every string of the model ends up
 * in an attribute or element, and XML 1.0 holds only valid UTF-8 without
 * most control characters.  A value libxml2 cannot write is silently
 * mangled (dropped bytes, character references no parser accepts), so the
 * readers refuse it up front. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one UTF-8 decoder: the sequence at s, strictly (no overlong forms,
 * no surrogates, nothing past U+10FFFF).  Returns its length with the
 * code point in *cp, or 0 when s does not start with a valid sequence (a
 * NUL inside a sequence ends it too). */
size_t vsc_utf8_decode(const unsigned char *s, uint32_t *cp);

/* NULL when s is valid UTF-8 made only of characters XML 1.0 allows (tab,
 * newline and carriage return are fine: they are escaped); otherwise why
 * not, for a message ("is not valid UTF-8", "holds control character
 * U+0001"), written into buf. */
const char *vsc_text_problem(const char *s, char *buf, size_t size);

/* A name that can be an XML attribute as it is (address keys): a letter,
 * then letters, digits, '_' or '-'.  Anything else would change the
 * element ('bus="0" x' adds an attribute) or make it unreadable. */
bool vsc_text_is_name(const char *s);
/* Whether s has only ASCII letters, digits and the characters of extra
 * ("_.-": libvirt's names of ports, aliases and channels). */
bool vsc_text_only_chars(const char *s, const char *extra);

/* Text for a message that quotes what a user or guest wrote: NULL when s
 * can be shown as it is, otherwise a copy (caller frees) in which every
 * byte of invalid UTF-8 and every control character but tab and newline
 * is written as \xHH (\u00HH for C1 controls, \uFFFE and \uFFFF), so
 * that no terminal, JSON or JUnit report gets bytes it cannot carry. */
char *vsc_text_printable(const char *s);
