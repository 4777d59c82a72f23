/* Length-prefixed framing of the agent protocol: 4-byte big-endian length, then that many bytes. */
#ifndef UVM_AGENT_FRAME_H
#define UVM_AGENT_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* The protocol's upper bound on one message, both ways (docs/guest-agent-protocol.md). */
#define FRAME_MAX ((uint32_t)1 << 20)

enum frame_status {
	FRAME_OK,       /* *payload holds *len bytes plus a terminating NUL; caller frees */
	FRAME_EOF,      /* the peer went away (possibly mid-frame; the partial frame is dropped) */
	FRAME_TOO_BIG,  /* a frame over FRAME_MAX was read and discarded; *len is its declared size */
	FRAME_ERROR     /* read failed; errno is set */
};

uint32_t frame_decode_len(const uint8_t header[4]);
void frame_encode_len(uint32_t len, uint8_t header[4]);

/* Reads one whole frame, blocking; retries on EINTR. */
enum frame_status frame_read(int fd, char **payload, uint32_t *len);

/* Writes one whole frame; 0 on success, -1 with errno on failure. len must be <= FRAME_MAX. */
int frame_write(int fd, const char *payload, uint32_t len);

#endif
