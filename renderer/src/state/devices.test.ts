import { describe, expect, it } from 'vitest';
import type { ContainerView, LogEntry } from '../../../main/engine/views.js';
import {
  formatBytes,
  holdersOf,
  layerDeviceKey,
  parseDeviceKey,
  requestTouches,
  scsiKey,
  vpmemKey,
} from './devices.js';
import { matchesFilter, resourceOf, summarize } from './log-view.js';

const container: ContainerView = {
  uvm: 'u1',
  guestRoot: '/run/gcs/c/1',
  rootfs: '/run/gcs/c/1/rootfs',
  scratch: { hostPath: '/s/sandbox.vhdx', device: '0:1', released: false },
  layers: [
    { folder: '/l/a', kind: 'vpmem', device: '0', uvmPath: '/run/layers/p0', released: false },
    {
      folder: '/l/b',
      kind: 'mapped',
      device: '1@4096',
      uvmPath: '/run/layers/p1-4096',
      released: false,
    },
    { folder: '/l/c', kind: 'scsi', device: '0:2', uvmPath: '/run/mounts/m2', released: true },
  ],
};

const log = (request: unknown, uvm: string | null = 'u1', ok = true): LogEntry => ({
  seq: 1,
  time: 't',
  uvm,
  request,
  ok,
  ms: 1,
});

describe('devices', () => {
  it('parses device keys', () => {
    expect(parseDeviceKey(scsiKey(1, 63))).toEqual({ kind: 'scsi', controller: 1, lun: 63 });
    expect(parseDeviceKey(vpmemKey(3, 8192))).toEqual({ kind: 'vpmem', device: 3, offset: 8192 });
    expect(parseDeviceKey('vsmb:s1a')).toEqual({ kind: 'vsmb', name: 's1a' });
    expect(parseDeviceKey('nope')).toBeUndefined();
  });

  it('maps the engine device names of layers to keys', () => {
    expect(container.layers.map(layerDeviceKey)).toEqual(['vpmem:0', 'vpmem:1@4096', 'scsi:0:2']);
  });

  it('finds the holders of a device, including every mapping of a multi-mapped device', () => {
    expect(holdersOf('scsi:0:1', [container])).toMatchObject([
      { role: 'scratch', guestRoot: '/run/gcs/c/1' },
    ]);
    expect(holdersOf('vpmem:0', [container])).toMatchObject([{ role: 'layer', index: 0 }]);
    expect(holdersOf('vpmem:1', [container])).toMatchObject([{ role: 'layer', index: 1 }]);
    expect(holdersOf('vpmem:1@4096', [container])).toHaveLength(1);
    expect(holdersOf('scsi:0:2', [container])).toMatchObject([{ released: true }]);
    expect(holdersOf('vsmb:s1', [container])).toEqual([]);
  });

  it('finds the requests that touched a device', () => {
    const add = log({
      ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
      RequestType: 'Add',
    });
    expect(requestTouches(add, 'u1', 'scsi:0:1', null)).toBe(true);
    expect(requestTouches(add, 'u1', 'scsi:0:10', null)).toBe(false);
    expect(requestTouches(add, 'u2', 'scsi:0:1', null)).toBe(false);
    const guest = log({
      GuestRequest: { ResourceType: 'MappedVirtualDisk', Settings: { Controller: 0, Lun: 1 } },
    });
    expect(requestTouches(guest, 'u1', 'scsi:0:1', null)).toBe(true);
    const pmem = log({
      ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/1/Mappings/4096',
      RequestType: 'Add',
    });
    expect(requestTouches(pmem, 'u1', 'vpmem:1', null)).toBe(true);
    expect(requestTouches(pmem, 'u1', 'vpmem:1@4096', null)).toBe(true);
    expect(requestTouches(pmem, 'u1', 'vpmem:1@0', null)).toBe(false);
    expect(requestTouches(pmem, 'u1', 'vpmem:10', null)).toBe(false);
    const share = log({
      ResourcePath: 'VirtualMachine/Devices/VirtualSmb/Shares',
      Settings: { Name: 's2', Path: 'C:\\l\\b' },
    });
    expect(requestTouches(share, 'u1', 'vsmb:s2', null)).toBe(true);
    expect(requestTouches(share, 'u1', 'vsmb:s1', null)).toBe(false);
    const grant = log({ Op: 'GrantVmAccess', Path: 'C:\\s\\sandbox.vhdx' });
    expect(requestTouches(grant, 'u1', 'scsi:0:0', 'C:\\s\\sandbox.vhdx')).toBe(true);
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.0 GiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe('log view', () => {
  it('classifies and summarises requests', () => {
    expect(
      resourceOf(
        log({ ResourcePath: 'VirtualMachine/Devices/VirtualPMem/Devices/0', RequestType: 'Add' }),
      ),
    ).toBe('vPMEM');
    expect(
      resourceOf(log({ GuestRequest: { ResourceType: 'CombinedLayers', RequestType: 'Add' } })),
    ).toBe('Combined layers');
    expect(resourceOf(log({ Op: 'CreateComputeSystem' }))).toBe('Lifecycle');
    expect(resourceOf(log({ Op: 'ActivateLayer' }, null))).toBe('Host layers');
    expect(
      summarize({
        ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1',
        RequestType: 'Remove',
      }),
    ).toBe('Remove VirtualMachine/Devices/Scsi/0/Attachments/1');
  });

  it('filters by UVM, host, resource and result', () => {
    const failed = log(
      { ResourcePath: 'VirtualMachine/Devices/Scsi/0/Attachments/1' },
      'u1',
      false,
    );
    expect(matchesFilter(failed, { uvm: 'u1', resource: 'SCSI', result: 'failed' })).toBe(true);
    expect(matchesFilter(failed, { uvm: 'u2', resource: '', result: 'all' })).toBe(false);
    expect(matchesFilter(failed, { uvm: '', resource: '', result: 'ok' })).toBe(false);
    expect(matchesFilter(failed, { uvm: '(host)', resource: '', result: 'all' })).toBe(false);
    expect(matchesFilter(failed, { uvm: '', resource: 'VSMB', result: 'all' })).toBe(false);
  });
});
