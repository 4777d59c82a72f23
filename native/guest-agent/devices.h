/* Finding hot-plugged disks in sysfs: SCSI disks by address (as hcsshim's GCS does) and
 * virtio-pmem namespaces by the physical address of their region. */
#ifndef UVM_AGENT_DEVICES_H
#define UVM_AGENT_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "oerr.h"

#define SYSFS_SCSI "/sys/bus/scsi/devices"
#define SYSFS_ND "/sys/bus/nd/devices"

/* The sysfs directory of the SCSI device *:0:<target>:<lun>; 0, or -1 when there is none. */
int scsi_device_dir(long long target, long long lun, char *out, size_t outlen);

/* Waits up to timeout_ms for that device's block node (/dev/sdX) and writes its path to dev. */
int scsi_wait_disk(long long target, long long lun, long long timeout_ms, char *dev, size_t devlen,
                   const char *op, struct oerr *e);

/* Waits up to timeout_ms for the pmem block node of the nd region starting at memaddr. */
int pmem_wait_disk(unsigned long long memaddr, long long timeout_ms, char *dev, size_t devlen,
                   const char *op, struct oerr *e);

/* Milliseconds on a clock that does not jump. */
long long monotonic_ms(void);

#endif
