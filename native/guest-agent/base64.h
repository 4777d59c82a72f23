/* Standard base64 (RFC 4648, "+/" alphabet) for file contents carried in JSON strings. */
#ifndef UVM_AGENT_BASE64_H
#define UVM_AGENT_BASE64_H

#include <stddef.h>

size_t base64_encoded_len(size_t n);
/* Writes base64_encoded_len(n) characters plus a NUL into out. */
void base64_encode(const unsigned char *in, size_t n, char *out);
/* Decodes len characters into out (room for len / 4 * 3 + 3 bytes). Padding is optional, as
 * long as the length is possible; any other character is an error. Returns the byte count, or
 * -1 when the text is not base64. */
long base64_decode(const char *in, size_t len, unsigned char *out);

#endif
