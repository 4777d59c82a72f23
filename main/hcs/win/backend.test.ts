import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HcsError, type UvmCreateConfig } from '../backend.js';
import { UvmLayersError } from '../../engine/errors.js';
import { HRESULT } from '../hresult.js';
import { resourcePaths, type ModifySettingRequest } from '../schema.js';
import { FakeComputeCore, OUT } from '../../../native/testing/fake-computecore.js';
import { FakeVmCompute } from '../../../native/testing/fake-vmcompute.js';
import { createHcsBackend, type HcsBackendOptions, type WindowsHcsBackend } from './backend.js';
import { DEFAULT_LCOW_EXEC } from './uvm-config.js';

let dir: string;
let fake: FakeComputeCore;
let vm: FakeVmCompute;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'uvml-hcs-'));
  fake = new FakeComputeCore();
  vm = new FakeVmCompute();
});

afterEach(async () => {
  fake.assertClean();
  await rm(dir, { recursive: true, force: true });
});

function backend(options: Omit<HcsBackendOptions, 'api'> = {}): WindowsHcsBackend {
  return createHcsBackend({
    api: { computecore: fake, vmcompute: vm },
    scratchDir: path.join(dir, 'scratch'),
    windowsBuild: 19045,
    ...options,
  });
}

function lcowConfig(extra: Partial<UvmCreateConfig> = {}): UvmCreateConfig {
  return {
    id: 'u1',
    os: 'linux',
    vpmemCount: 64,
    vpmemMaxSizeBytes: 4 * 1024 ** 3,
    scsiControllers: 2,
    physicallyBacked: false,
    vpmemMultiMapping: false,
    bootFilesPath: path.join(dir, 'boot'),
    ...extra,
  };
}

async function bootFiles(...names: string[]): Promise<string> {
  const boot = path.join(dir, 'boot');
  await mkdir(boot, { recursive: true });
  for (const name of names) await writeFile(path.join(boot, name), 'x');
  return boot;
}

function createdDocument(): Record<string, unknown> {
  const [args] = fake.callsOf('HcsCreateComputeSystem');
  return JSON.parse(String(args?.[1])) as Record<string, unknown>;
}

describe('enumerate', () => {
  it('lists every compute system with type, owner and state, ours and others', async () => {
    fake.addSystem({ id: 'u1', owner: 'uvm-layers', state: 'Running', runtimeOsType: 'Linux' });
    fake.addSystem({ id: 'pod1@vm', owner: 'containerd-shim-runhcs-v1.exe', state: 'Running' });
    fake.addSystem({ id: 'c1', owner: 'docker', systemType: 'Container', state: 'Stopped' });
    expect(await backend().enumerate()).toEqual([
      { id: 'u1', systemType: 'VirtualMachine', state: 'Running', owner: 'uvm-layers', runtimeOsType: 'Linux' },
      { id: 'pod1@vm', systemType: 'VirtualMachine', state: 'Running', owner: 'containerd-shim-runhcs-v1.exe' },
      { id: 'c1', systemType: 'Container', state: 'Stopped', owner: 'docker' },
    ]);
    expect(fake.callsOf('HcsEnumerateComputeSystems')).toEqual([[null, expect.any(BigInt)]]);
  });

  it('an enumeration HCS refuses is an HcsError with its events', async () => {
    fake.script('HcsEnumerateComputeSystems', {
      outcome: {
        hr: HRESULT.HCS_E_SERVICE_NOT_AVAILABLE,
        document: JSON.stringify({ Error: HRESULT.HCS_E_SERVICE_NOT_AVAILABLE | 0, ErrorEvents: [{ Message: 'vmcompute stopped' }] }),
      },
    });
    const error = (await backend().enumerate().catch((e: unknown) => e)) as HcsError;
    expect(error).toBeInstanceOf(HcsError);
    expect(error.message).toBe('HcsEnumerateComputeSystems failed: vmcompute stopped (HCS_E_SERVICE_NOT_AVAILABLE, 0x80370114)');
    expect(error.events).toEqual([{ Message: 'vmcompute stopped' }]);
  });
});

describe('LCOW utility VMs', () => {
  it('creates from the boot files with the documented minimal configuration', async () => {
    const boot = await bootFiles('kernel', 'vmlinux', 'initrd.img');
    await backend().createUtilityVm(lcowConfig());
    expect(fake.callsOf('HcsCreateComputeSystem')).toEqual([['u1', expect.any(String), expect.any(BigInt), null, OUT]]);
    expect(createdDocument()).toEqual({
      Owner: 'uvm-layers',
      SchemaVersion: { Major: 2, Minor: 1 },
      VirtualMachine: {
        StopOnReset: true,
        Chipset: {
          LinuxKernelDirect: {
            KernelFilePath: path.join(boot, 'vmlinux'),
            InitRdPath: path.join(boot, 'initrd.img'),
            KernelCmdLine: `8250_core.nr_uarts=0 panic=-1 quiet nr_cpus=2 pci=off brd.rd_nr=0 pmtmr=0 -- ${DEFAULT_LCOW_EXEC}`,
          },
        },
        ComputeTopology: { Memory: { SizeInMB: 1024, AllowOvercommit: true }, Processor: { Count: 2 } },
        Devices: {
          Scsi: { '0': { Attachments: {} }, '1': { Attachments: {} } },
          HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)' } },
          Plan9: {},
          VirtualPMem: { MaximumCount: 64, MaximumSizeBytes: 4294967296 },
        },
        GuestConnection: { UseVsock: true, UseConnectedSuspend: true },
      },
    });
    expect(fake.systems.get('u1')?.state).toBe('Created');
  });

  it('uses the owner, sizes and exec command it is given', async () => {
    await bootFiles('kernel', 'initrd.img');
    await backend({ owner: 'tester', memoryMb: 2048, processorCount: 4, lcowExec: '/bin/sh' }).createUtilityVm(
      lcowConfig({ vpmemCount: 0, scsiControllers: 1, physicallyBacked: true }),
    );
    const document = createdDocument() as {
      Owner: string;
      VirtualMachine: { Chipset: { LinuxKernelDirect: { KernelCmdLine: string } }; ComputeTopology: unknown; Devices: Record<string, unknown> };
    };
    expect(document.Owner).toBe('tester');
    expect(document.VirtualMachine.ComputeTopology).toEqual({ Memory: { SizeInMB: 2048, AllowOvercommit: false }, Processor: { Count: 4 } });
    expect(document.VirtualMachine.Devices.VirtualPMem).toBeUndefined();
    expect(document.VirtualMachine.Devices.Scsi).toEqual({ '0': { Attachments: {} } });
    expect(document.VirtualMachine.Chipset.LinuxKernelDirect.KernelCmdLine).toMatch(/nr_cpus=4 .* -- \/bin\/sh$/);
  });

  it('refuses a missing boot files folder before calling HCS', async () => {
    const error = (await backend().createUtilityVm(lcowConfig({ bootFilesPath: undefined })).catch((e: unknown) => e)) as UvmLayersError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('boot files folder (kernel and initrd.img)');
    await bootFiles('kernel');
    const noInitrd = (await backend().createUtilityVm(lcowConfig()).catch((e: unknown) => e)) as UvmLayersError;
    expect(noInitrd.code).toBe('INVALID_ARGUMENT');
    expect(noInitrd.message).toContain('has no initrd.img');
    expect(fake.calls).toEqual([]);
  });

  it('create then start, in that order, each under its own operation and handle', async () => {
    await bootFiles('kernel', 'initrd.img');
    const hcs = backend();
    await hcs.createUtilityVm(lcowConfig());
    await hcs.startUtilityVm('u1');
    expect(fake.sequence().filter((f) => f.startsWith('Hcs'))).toEqual([
      'HcsCreateOperation',
      'HcsCreateComputeSystem',
      'HcsWaitForOperationResult',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsStartComputeSystem',
      'HcsWaitForOperationResult',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    expect(fake.systems.get('u1')?.state).toBe('Running');
  });

  it('a create that fails after HCS returned a handle terminates the half-made system and closes the handle', async () => {
    await bootFiles('kernel', 'initrd.img');
    fake.script('HcsCreateComputeSystem', {
      outcome: { hr: HRESULT.HCS_E_INVALID_JSON_V2, document: JSON.stringify({ ErrorMessage: 'Unknown field "Plan9"' }) },
    });
    const error = (await backend().createUtilityVm(lcowConfig()).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_INVALID_JSON_V2);
    expect(error.message).toContain('Unknown field "Plan9"');
    const tail = fake.sequence().filter((f) => f.startsWith('Hcs')).slice(-5);
    expect(tail).toEqual([
      'HcsCloseOperation',
      'HcsCreateOperation',
      'HcsTerminateComputeSystem',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
  });

  it('falls back to UEFI boot from VmbFs on builds without kernel-direct', async () => {
    const boot = await bootFiles('kernel', 'vmlinux', 'initrd.img');
    await backend({ windowsBuild: 17763 }).createUtilityVm(lcowConfig());
    const chipset = (createdDocument() as { VirtualMachine: { Chipset: unknown } }).VirtualMachine.Chipset;
    expect(chipset).toEqual({
      Uefi: {
        BootThis: {
          DevicePath: '\\kernel',
          DeviceType: 'VmbFs',
          VmbFsRootPath: boot,
          OptionalData: `initrd=/initrd.img 8250_core.nr_uarts=0 panic=-1 quiet nr_cpus=2 pci=off brd.rd_nr=0 pmtmr=0 -- ${DEFAULT_LCOW_EXEC}`,
        },
      },
    });
  });
});

describe('WCOW utility VMs', () => {
  async function utilityVm(): Promise<string> {
    const uvm = path.join(dir, 'base', 'UtilityVM');
    await mkdir(path.join(uvm, 'Files'), { recursive: true });
    await writeFile(path.join(uvm, 'SystemTemplate.vhdx'), 'template');
    return uvm;
  }

  const wcowConfig = (utilityVmPath: string): UvmCreateConfig => ({
    id: 'w1',
    os: 'windows',
    vpmemCount: 0,
    vpmemMaxSizeBytes: 0,
    scsiControllers: 1,
    physicallyBacked: false,
    vpmemMultiMapping: false,
    utilityVmPath,
  });

  it('copies the scratch template, grants the VM access to it, then creates with scratch at SCSI 0:0 and the os share', async () => {
    const uvm = await utilityVm();
    await backend().createUtilityVm(wcowConfig(uvm));
    const scratch = path.join(dir, 'scratch', 'w1', 'sandbox.vhdx');
    expect(await readFile(scratch, 'utf8')).toBe('template');
    expect(fake.grants).toEqual([{ vmId: 'w1', filePath: scratch }]);
    expect(fake.sequence().indexOf('HcsGrantVmAccess')).toBeLessThan(fake.sequence().indexOf('HcsCreateComputeSystem'));
    expect(createdDocument()).toEqual({
      Owner: 'uvm-layers',
      SchemaVersion: { Major: 2, Minor: 1 },
      VirtualMachine: {
        StopOnReset: true,
        Chipset: { Uefi: { BootThis: { DevicePath: '\\EFI\\Microsoft\\Boot\\bootmgfw.efi', DeviceType: 'VmbFs' } } },
        ComputeTopology: {
          Memory: { SizeInMB: 1024, AllowOvercommit: true, EnableHotHint: true },
          Processor: { Count: 2 },
        },
        Devices: {
          Scsi: { '0': { Attachments: { '0': { Path: scratch, Type: 'VirtualDisk' } } } },
          HvSocket: { HvSocketConfig: { DefaultBindSecurityDescriptor: 'D:P(A;;FA;;;SY)(A;;FA;;;BA)' } },
          VirtualSmb: {
            DirectFileMappingInMB: 1024,
            Shares: [
              {
                Name: 'os',
                Path: path.join(uvm, 'Files'),
                Options: { ReadOnly: true, ShareRead: true, CacheIo: true, PseudoOplocks: true, TakeBackupPrivilege: true },
              },
            ],
          },
        },
        GuestConnection: {},
      },
    });
  });

  it('removes the copied scratch when the create fails, and terminate removes it after the VM is gone', async () => {
    const uvm = await utilityVm();
    const folder = path.join(dir, 'scratch', 'w1');
    fake.script('HcsCreateComputeSystem', { outcome: { hr: HRESULT.E_ACCESSDENIED } });
    const failure = (await backend().createUtilityVm(wcowConfig(uvm)).catch((e: unknown) => e)) as HcsError;
    expect(failure.message).toContain('administrator');
    expect(existsSync(folder)).toBe(false);

    const hcs = backend();
    await hcs.createUtilityVm(wcowConfig(uvm));
    expect(existsSync(folder)).toBe(true);
    await hcs.terminateUtilityVm('w1');
    expect(existsSync(folder)).toBe(false);
  });

  it('refuses an id HCS already has, without touching that VM’s scratch', async () => {
    const uvm = await utilityVm();
    const hcs = backend();
    await hcs.createUtilityVm(wcowConfig(uvm));
    const scratch = path.join(dir, 'scratch', 'w1', 'sandbox.vhdx');
    await writeFile(scratch, 'in use');
    const error = (await hcs.createUtilityVm(wcowConfig(uvm)).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_SYSTEM_ALREADY_EXISTS);
    expect(await readFile(scratch, 'utf8')).toBe('in use');
    expect(fake.callsOf('HcsCreateComputeSystem')).toHaveLength(1);
  });

  it('physically backed: no overcommit, no hot hint, no direct map on the os share', async () => {
    const uvm = await utilityVm();
    await backend().createUtilityVm({ ...wcowConfig(uvm), physicallyBacked: true });
    const vmDoc = (createdDocument() as { VirtualMachine: { ComputeTopology: { Memory: unknown }; Devices: { VirtualSmb: { Shares: { Options: unknown }[] } } } })
      .VirtualMachine;
    expect(vmDoc.ComputeTopology.Memory).toEqual({ SizeInMB: 1024, AllowOvercommit: false, EnableHotHint: false });
    expect(vmDoc.Devices.VirtualSmb.Shares[0]?.Options).toMatchObject({ NoDirectmap: true });
  });

  it('needs the UtilityVM folder', async () => {
    const error = (await backend().createUtilityVm({ ...wcowConfig(''), utilityVmPath: undefined }).catch((e: unknown) => e)) as UvmLayersError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain("base image's UtilityVM folder");
  });
});

describe('modify', () => {
  const request: ModifySettingRequest = {
    ResourcePath: resourcePaths.scsi(0, 1),
    RequestType: 'Add',
    Settings: { Type: 'VirtualDisk', Path: 'C:\\c\\sandbox.vhdx' },
    GuestRequest: {
      ResourceType: 'MappedVirtualDisk',
      RequestType: 'Add',
      Settings: { MountPath: '/run/mounts/m1', Lun: 1, Controller: 0 },
    },
  };

  it('passes the engine’s ModifySettingRequest JSON unchanged, as UTF-16, under one operation', async () => {
    fake.addSystem({ id: 'u1', owner: 'uvm-layers' });
    await backend().modify('u1', request);
    const [args] = fake.callsOf('HcsModifyComputeSystem');
    expect(args?.[2]).toBe(JSON.stringify(request));
    expect(args?.[3]).toBeNull();
    expect(fake.systems.get('u1')?.modifications).toEqual([request]);
  });

  it('a refused modify rejects with the HRESULT named and the result document’s events kept', async () => {
    fake.addSystem({ id: 'u1' });
    fake.script('HcsModifyComputeSystem', {
      outcome: {
        hr: HRESULT.ERROR_FILE_NOT_FOUND,
        document: JSON.stringify({
          Error: HRESULT.ERROR_FILE_NOT_FOUND | 0,
          ErrorMessage: 'The system cannot find the file specified.',
          ErrorEvents: [{ Message: "'C:\\c\\sandbox.vhdx': The system cannot find the file specified.", EventId: 12030 }],
        }),
      },
    });
    const error = (await backend().modify('u1', request).catch((e: unknown) => e)) as HcsError;
    expect(error).toBeInstanceOf(HcsError);
    expect(error.hresult).toBe(HRESULT.ERROR_FILE_NOT_FOUND);
    expect(error.message).toBe(
      'HcsModifyComputeSystem u1 failed: The system cannot find the file specified. (ERROR_FILE_NOT_FOUND, 0x80070002)',
    );
    expect(error.events).toEqual([{ Message: "'C:\\c\\sandbox.vhdx': The system cannot find the file specified.", EventId: 12030 }]);
  });

  it('a modify of an unknown UVM says so with HCS’s code', async () => {
    const error = (await backend().modify('ghost', request).catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.HCS_E_SYSTEM_NOT_FOUND_V2);
  });

  it('a throwing call still closes the operation and the compute-system handle', async () => {
    fake.addSystem({ id: 'u1' });
    fake.script('HcsModifyComputeSystem', { throws: new TypeError('Unexpected BigInt value') });
    await expect(backend().modify('u1', request)).rejects.toThrow('Unexpected BigInt value');
    expect(fake.sequence().slice(-2)).toEqual(['HcsCloseOperation', 'HcsCloseComputeSystem']);
  });

  it('times out, cancels, keeps waiting and reports through onTimeout', async () => {
    fake.addSystem({ id: 'u1' });
    fake.script('HcsModifyComputeSystem', { waits: [{ hr: HRESULT.HCS_E_OPERATION_TIMEOUT }] });
    const reports: string[] = [];
    await backend({ timeoutMs: 50, onTimeout: (t) => reports.push(`${t.what} ${t.timeoutMs}`) }).modify('u1', request);
    expect(reports).toEqual(['HcsModifyComputeSystem u1 50']);
    expect(fake.callsOf('HcsWaitForOperationResult').map((a) => a[1])).toEqual([50, 50]);
    expect(fake.sequence()).toContain('HcsCancelOperation');
    expect(fake.systems.get('u1')?.modifications).toEqual([request]);
  });
});

describe('terminate', () => {
  it('terminates, waits for it, closes the handle, and forgets the VM', async () => {
    fake.addSystem({ id: 'u1', owner: 'uvm-layers' });
    await backend().terminateUtilityVm('u1');
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsTerminateComputeSystem',
      'HcsWaitForOperationResult',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
    expect(fake.systems.has('u1')).toBe(false);
    expect(await backend().enumerate()).toEqual([]);
  });

  it('is done when the VM is already gone or stopped', async () => {
    await backend().terminateUtilityVm('ghost');
    fake.addSystem({ id: 'u2', state: 'Stopped' });
    fake.script('HcsTerminateComputeSystem', { outcome: { hr: HRESULT.HCS_E_SYSTEM_ALREADY_STOPPED_V2 } });
    await backend().terminateUtilityVm('u2');
  });

  it('reports other failures', async () => {
    fake.addSystem({ id: 'u1' });
    fake.script('HcsTerminateComputeSystem', { call: HRESULT.E_ACCESSDENIED });
    const error = (await backend().terminateUtilityVm('u1').catch((e: unknown) => e)) as HcsError;
    expect(error.hresult).toBe(HRESULT.E_ACCESSDENIED);
  });

  it('shutdown is fire-and-forget: the operation is closed without a wait', async () => {
    fake.addSystem({ id: 'u1' });
    await backend().shutdownUtilityVm('u1');
    expect(fake.sequence()).toEqual([
      'HcsOpenComputeSystem',
      'HcsCreateOperation',
      'HcsShutDownComputeSystem',
      'HcsCloseOperation',
      'HcsCloseComputeSystem',
    ]);
  });
});

describe('properties', () => {
  it('returns HCS’s Properties document, passing the V2 query', async () => {
    fake.addSystem({ id: 'u1', owner: 'uvm-layers' });
    const properties = await backend().properties('u1', { PropertyTypes: ['Memory'] });
    expect(properties).toMatchObject({ Id: 'u1', SystemType: 'VirtualMachine', State: 'Running' });
    expect(fake.callsOf('HcsGetComputeSystemProperties')[0]?.[2]).toBe('{"PropertyTypes":["Memory"]}');
    await backend().properties('u1');
    expect(fake.callsOf('HcsGetComputeSystemProperties')[1]?.[2]).toBeNull();
  });

  it('an unreadable answer is an HCS_ERROR that shows it', async () => {
    fake.addSystem({ id: 'u1' });
    fake.script('HcsGetComputeSystemProperties', { outcome: { hr: 0, document: '[1,2]' } });
    const error = (await backend().properties('u1').catch((e: unknown) => e)) as UvmLayersError;
    expect(error.code).toBe('HCS_ERROR');
    expect(error.message).toContain('cannot read: [1,2]');
  });
});

describe('grantVmAccess (HCS-SPEC §10)', () => {
  it('uses computecore’s HcsGrantVmAccess', async () => {
    await backend().grantVmAccess('u1', 'C:\\c\\sandbox.vhdx');
    expect(fake.grants).toEqual([{ vmId: 'u1', filePath: 'C:\\c\\sandbox.vhdx' }]);
    expect(vm.calls).toEqual([]);
  });

  it('falls back to vmcompute’s GrantVmAccess when computecore lacks it', async () => {
    fake = new FakeComputeCore({ withGrant: false });
    await backend().grantVmAccess('u1', 'C:\\c\\sandbox.vhdx');
    expect(vm.grants).toEqual([{ vmId: 'u1', filePath: 'C:\\c\\sandbox.vhdx' }]);
  });

  it('falls back when computecore’s answers E_NOTIMPL, not when it refuses', async () => {
    fake.script('HcsGrantVmAccess', { call: HRESULT.E_NOTIMPL });
    await backend().grantVmAccess('u1', 'a.vhdx');
    expect(vm.grants).toEqual([{ vmId: 'u1', filePath: 'a.vhdx' }]);

    fake.script('HcsGrantVmAccess', { call: HRESULT.ERROR_FILE_NOT_FOUND });
    const error = (await backend().grantVmAccess('u1', 'b.vhdx').catch((e: unknown) => e)) as HcsError;
    expect(error.message).toBe('HcsGrantVmAccess u1 b.vhdx failed (ERROR_FILE_NOT_FOUND, 0x80070002)');
    expect(vm.grants).toHaveLength(1);
  });
});

describe('close', () => {
  it('waits for calls in flight, then refuses new ones', async () => {
    fake.addSystem({ id: 'u1' });
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.script('HcsModifyComputeSystem', { outcome: { hr: 0, gate } });
    const hcs = backend();
    const modify = hcs.modify('u1', { ResourcePath: 'x', RequestType: 'Remove' });
    let closed = false;
    const closing = hcs.close().then(() => (closed = true));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(closed).toBe(false);
    release();
    await modify;
    await closing;
    const error = (await hcs.enumerate().catch((e: unknown) => e)) as UvmLayersError;
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
  });
});
