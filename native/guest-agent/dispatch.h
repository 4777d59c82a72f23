/* Turns one request frame into one response: parse, validate id and op, run the op, and wrap
 * its result or error in the protocol's envelope. */
#ifndef UVM_AGENT_DISPATCH_H
#define UVM_AGENT_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonw.h"

/* Writes the response JSON for the request text into out (reset first). Returns true when the
 * request was a hello, which the caller precedes with a ready event (the protocol's reconnect
 * handshake). */
bool dispatch_request(const char *text, size_t len, struct jw *out);

/* The error for a frame that was too big to read (answered for id 0). */
void dispatch_oversized(uint32_t len, struct jw *out);

/* {"event":"ready","version":1,"uptime":n} */
void dispatch_ready_event(struct jw *out);

/* Writes {"id":id,"ok":false,"error":{...}} for errnum and message. */
void dispatch_error(struct jw *out, long long id, int errnum, const char *message);

#endif
