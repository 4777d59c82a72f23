/* Where the agent's byte stream comes from: the virtio-serial port in the utility VM, or, on a
 * host for tests, stdin/stdout or a Unix socket. */
#ifndef UVM_AGENT_PORT_H
#define UVM_AGENT_PORT_H

#include <stddef.h>

#define VIRTIO_PORTS "/sys/class/virtio-ports"

/* Finds /dev/<vportNpM> whose sysfs name is `name`; 0 or -1 when absent. */
int port_find_virtio(const char *name, char *dev, size_t devlen);

/* Waits (logging now and then) until the named port exists and opens it read-write. */
int port_open_virtio(const char *name);

/* A listening Unix stream socket at path (a stale socket file is replaced); -1 with errno. */
int port_listen_unix(const char *path);

#endif
