/* Framing: whole-frame reads and writes over a byte stream (virtio port, pipe or socket). */
#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint32_t frame_decode_len(const uint8_t h[4])
{
	return ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | (uint32_t)h[3];
}

void frame_encode_len(uint32_t len, uint8_t h[4])
{
	h[0] = (uint8_t)(len >> 24);
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
}

/* 0 when all n bytes arrived, 1 on EOF first, -1 on error. Streams deliver frames in pieces
 * (a virtio port hands over at most one buffer per read), so a single read is never enough. */
static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r > 0) {
			got += (size_t)r;
		} else if (r == 0) {
			return 1;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w > 0) {
			done += (size_t)w;
		} else if (w < 0 && errno != EINTR) {
			return -1;
		} else if (w == 0) {
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* Oversized frames are drained rather than closing the stream: the protocol promises that a bad
 * frame costs only an error reply, and the virtio port cannot be "reconnected" from the guest. */
static enum frame_status discard(int fd, uint32_t len)
{
	char sink[65536];
	while (len > 0) {
		size_t chunk = len < sizeof sink ? len : sizeof sink;
		int r = read_full(fd, sink, chunk);
		if (r != 0)
			return r > 0 ? FRAME_EOF : FRAME_ERROR;
		len -= (uint32_t)chunk;
	}
	return FRAME_OK;
}

enum frame_status frame_read(int fd, char **payload, uint32_t *len)
{
	uint8_t header[4];
	*payload = NULL;
	*len = 0;
	int r = read_full(fd, header, sizeof header);
	if (r != 0)
		return r > 0 ? FRAME_EOF : FRAME_ERROR;
	uint32_t n = frame_decode_len(header);
	*len = n;
	if (n > FRAME_MAX) {
		enum frame_status s = discard(fd, n);
		return s == FRAME_OK ? FRAME_TOO_BIG : s;
	}
	char *buf = malloc((size_t)n + 1);
	if (buf == NULL)
		return FRAME_ERROR;
	r = read_full(fd, buf, n);
	if (r != 0) {
		free(buf);
		return r > 0 ? FRAME_EOF : FRAME_ERROR;
	}
	buf[n] = '\0';
	*payload = buf;
	return FRAME_OK;
}

int frame_write(int fd, const char *payload, uint32_t len)
{
	if (len > FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* One buffer, one write where possible: a reader on the host sees header and body together. */
	char *buf = malloc((size_t)len + 4);
	if (buf == NULL)
		return -1;
	frame_encode_len(len, (uint8_t *)buf);
	if (len > 0)
		memcpy(buf + 4, payload, len);
	int rc = write_full(fd, buf, (size_t)len + 4);
	int saved = errno;
	free(buf);
	errno = saved;
	return rc;
}
