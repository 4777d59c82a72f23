import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { accelFromEnv, chooseAccel } from './accel.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uvm-accel-'));
  dirs.push(dir);
  return dir;
}

function kvmUsable(): boolean {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

describe('chooseAccel', () => {
  it('takes a forced choice without probing', async () => {
    const probe = vi.fn(() => Promise.resolve(undefined));
    expect(await chooseAccel(tempDir(), 'tcg', probe)).toEqual({
      accel: 'tcg',
      detail: 'forced to tcg',
    });
    expect(await chooseAccel(tempDir(), 'kvm', probe)).toMatchObject({ accel: 'kvm' });
    expect(probe).not.toHaveBeenCalled();
  });

  it.runIf(kvmUsable())(
    'probes once per host boot: a failed test boot means TCG, and is remembered',
    async () => {
      const dir = tempDir();
      const probe = vi.fn(() => Promise.resolve('the guest printed nothing'));
      const first = await chooseAccel(dir, 'auto', probe);
      expect(first).toEqual({
        accel: 'tcg',
        detail: 'a KVM test boot failed (the guest printed nothing); using TCG',
      });
      expect(await chooseAccel(dir, 'auto', probe)).toEqual(first);
      expect(probe).toHaveBeenCalledTimes(1);
      const cache = JSON.parse(fs.readFileSync(path.join(dir, 'accel.json'), 'utf8')) as {
        bootId: string;
      };
      expect(cache.bootId).toBe(fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
      // Another host boot (another boot id) probes again; a successful probe means KVM.
      fs.writeFileSync(path.join(dir, 'accel.json'), JSON.stringify({ ...cache, bootId: 'older' }));
      expect(await chooseAccel(dir, 'auto', () => Promise.resolve(undefined))).toMatchObject({
        accel: 'kvm',
      });
    },
  );

  it.runIf(!kvmUsable())('uses TCG without a probe when /dev/kvm cannot be opened', async () => {
    const probe = vi.fn(() => Promise.resolve(undefined));
    expect(await chooseAccel(tempDir(), 'auto', probe)).toMatchObject({ accel: 'tcg' });
    expect(probe).not.toHaveBeenCalled();
  });

  it('reads UVM_LAYERS_QEMU_ACCEL', () => {
    expect(accelFromEnv({ UVM_LAYERS_QEMU_ACCEL: 'kvm' })).toBe('kvm');
    expect(accelFromEnv({ UVM_LAYERS_QEMU_ACCEL: 'fast' })).toBeUndefined();
    expect(accelFromEnv({})).toBeUndefined();
  });
});
