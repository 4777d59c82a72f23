/* uvm-agent: the utility VM's guest agent (docs/guest-agent-protocol.md). In the VM it is exec'd
 * by /init and serves the virtio-serial port named "agent"; on a host, --stdio and --listen serve
 * the same protocol for tests. It mounts, formats, combines and lists; it runs no commands other
 * than the bundled mke2fs. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "frame.h"
#include "ops.h"
#include "port.h"

enum serve_end { SERVE_EOF, SERVE_ERROR };

static int send_json(int fd, const struct jw *w)
{
	if (w->oom) {
		errno = ENOMEM;
		return -1;
	}
	return frame_write(fd, w->buf, (uint32_t)w->len);
}

static int send_ready(int fd, struct jw *w)
{
	dispatch_ready_event(w);
	if (send_json(fd, w) != 0) {
		fprintf(stderr, "uvm-agent: sending ready: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Answers requests in order until the stream ends. *greet asks for a ready event first and is
 * cleared once one was sent. Every hello is answered with a ready event and then its response:
 * that is how a host that reconnects learns the agent is there (see serve_virtio). */
static enum serve_end serve(int in, int out, bool *greet)
{
	struct jw w;
	jw_init(&w);
	enum serve_end end = SERVE_ERROR;
	if (*greet) {
		if (send_ready(out, &w) != 0)
			goto done;
		*greet = false;
	}
	for (;;) {
		char *payload;
		uint32_t len;
		enum frame_status s = frame_read(in, &payload, &len);
		if (s == FRAME_EOF) {
			end = SERVE_EOF;
			goto done;
		}
		if (s == FRAME_ERROR) {
			fprintf(stderr, "uvm-agent: read: %s\n", strerror(errno));
			goto done;
		}
		bool hello = false;
		if (s == FRAME_TOO_BIG)
			dispatch_oversized(len, &w);
		else
			hello = dispatch_request(payload, len, &w);
		free(payload);
		if (hello) {
			struct jw ready;
			jw_init(&ready);
			int rc = send_ready(out, &ready);
			jw_free(&ready);
			if (rc != 0)
				goto done;
		}
		if (send_json(out, &w) != 0) {
			fprintf(stderr, "uvm-agent: write: %s\n", strerror(errno));
			goto done;
		}
	}
done:
	jw_free(&w);
	return end;
}

/* In the VM the port stays open for the VM's life. The first ready is written at start and waits
 * in the driver until a host connects. A host that goes away makes reads return 0 until one
 * connects again, so the agent polls every 100 ms; it cannot greet the next host by itself,
 * because a quick reconnect can happen without the agent ever seeing the disconnect. A
 * (re)connecting host therefore sends hello and gets ready + the hello response. */
static void serve_virtio(const char *name)
{
	int fd = port_open_virtio(name);
	bool greet = true;
	for (;;) {
		serve(fd, fd, &greet);
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int serve_listen(const char *path)
{
	int lfd = port_listen_unix(path);
	if (lfd < 0) {
		fprintf(stderr, "uvm-agent: listen on %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "uvm-agent: listening on %s\n", path);
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "uvm-agent: accept on %s: %s\n", path, strerror(errno));
			return 1;
		}
		/* A new connection is a new host: greet it without waiting for hello. */
		bool greet = true;
		serve(c, c, &greet);
		close(c);
	}
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: uvm-agent [--port-name NAME | --stdio | --listen SOCKET] [--mke2fs PATH]\n"
	        "  (default) serve the virtio-serial port named 'agent' (in the utility VM)\n"
	        "  --stdio          serve frames on stdin/stdout until EOF (host tests)\n"
	        "  --listen SOCKET  serve one Unix-socket client at a time (host tests)\n");
}

int main(int argc, char **argv)
{
	const char *port_name = "agent";
	const char *listen_path = NULL;
	int stdio = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--stdio") == 0) {
			stdio = 1;
		} else if (strcmp(a, "--listen") == 0 && next != NULL) {
			listen_path = next;
			i++;
		} else if (strcmp(a, "--port-name") == 0 && next != NULL) {
			port_name = next;
			i++;
		} else if (strcmp(a, "--mke2fs") == 0 && next != NULL) {
			agent_mke2fs_path = next;
			i++;
		} else {
			usage();
			return 2;
		}
	}
	/* A host that hangs up mid-reply must cost an error return, not the agent. */
	signal(SIGPIPE, SIG_IGN);
	if (stdio) {
		bool greet = true;
		serve(STDIN_FILENO, STDOUT_FILENO, &greet);
		return 0;
	}
	if (listen_path != NULL)
		return serve_listen(listen_path);
	serve_virtio(port_name);
	return 0;
}
