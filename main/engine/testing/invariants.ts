/**
 * The invariants the property and fault tests check after every step: each ref count equals
 * the ledger's holders, no slot holds two devices, and the simulator's device tree and guest
 * mounts are exactly what the engine's records say.
 */
import { expect } from 'vitest';
import type { SimBackend, SimSystemState } from '../../hcs/sim/index.js';
import type { StateStore } from '../../store/state-store.js';
import type { UvmRecord } from '../uvm/record.js';

export function uvmRecords(store: StateStore): UvmRecord[] {
  return store
    .list('uvm/')
    .map((k) => store.read<UvmRecord>(k)?.data)
    .filter((r): r is UvmRecord => r !== undefined);
}

function holders(r: UvmRecord) {
  const live = r.containers.flatMap((c) => [
    ...c.layers.filter((l) => !l.released).map((l) => `${l.kind} ${l.device}`),
    ...(c.scratch.released ? [] : [`scsi ${c.scratch.device}`]),
  ]);
  const count = new Map<string, number>();
  for (const h of live) count.set(h, (count.get(h) ?? 0) + 1);
  return count;
}

/** What the engine says each device is; compared with the sim in one shape. */
function engineDevices(r: UvmRecord) {
  const scsi: Record<string, { path: string; readOnly: boolean }> = {};
  for (const a of r.scsi)
    scsi[`${a.controller}:${a.lun}`] = { path: a.hostPath, readOnly: a.readOnly };
  const vpmem: Record<string, string> = {};
  for (const d of r.vpmem) vpmem[String(d.device)] = d.hostPath;
  for (const d of r.vpmemMapped)
    for (const m of d.mappings) vpmem[`${d.device}@${m.offset}`] = m.hostPath;
  const vsmb: Record<string, string> = {};
  for (const s of r.vsmb) vsmb[s.name] = s.hostPath;
  const mounts = [
    ...r.scsi.map((a) => a.uvmPath),
    ...r.vpmem.map((d) => d.uvmPath),
    ...r.vpmemMapped.flatMap((d) => d.mappings.map((m) => m.uvmPath)),
  ].sort();
  const combined = r.combined.map((c) => c.containerRootPath).sort();
  return { scsi, vpmem, vsmb, mounts, combined };
}

function simDevices(s: SimSystemState) {
  const scsi: Record<string, { path: string; readOnly: boolean }> = {};
  for (const [k, slot] of Object.entries(s.scsi))
    if (!slot.reserved) scsi[k] = { path: slot.path, readOnly: slot.readOnly };
  const vpmem: Record<string, string> = {};
  for (const [n, d] of Object.entries(s.vpmem)) {
    if (d.mappings)
      for (const [off, m] of Object.entries(d.mappings)) vpmem[`${n}@${off}`] = m.hostPath;
    else if (d.hostPath) vpmem[n] = d.hostPath;
  }
  const vsmb: Record<string, string> = {};
  for (const [name, share] of Object.entries(s.vsmb)) vsmb[name] = share.path;
  return {
    scsi,
    vpmem,
    vsmb,
    mounts: Object.keys(s.guest.mounts).sort(),
    combined: Object.keys(s.guest.combined).sort(),
  };
}

export function checkInvariants(store: StateStore, sim: SimBackend): void {
  for (const r of uvmRecords(store)) {
    const held = holders(r);
    for (const a of r.scsi)
      expect(a.refCount, `SCSI ${a.controller}:${a.lun} of ${r.id}`).toBe(
        held.get(`scsi ${a.controller}:${a.lun}`) ?? 0,
      );
    for (const d of r.vpmem)
      expect(d.refCount, `vPMEM ${d.device} of ${r.id}`).toBe(held.get(`vpmem ${d.device}`) ?? 0);
    for (const d of r.vpmemMapped) {
      for (const m of d.mappings)
        expect(m.refCount, `mapping ${d.device}@${m.offset} of ${r.id}`).toBe(
          held.get(`mapped ${d.device}@${m.offset}`) ?? 0,
        );
      const ends = d.mappings.map((m) => [m.offset, m.offset + m.sizeBytes] as const);
      for (let i = 1; i < ends.length; i++)
        expect(ends[i]![0], `mappings overlap on ${r.id}`).toBeGreaterThanOrEqual(ends[i - 1]![1]);
    }
    for (const s of r.vsmb)
      expect(s.refCount, `VSMB ${s.name} of ${r.id}`).toBe(held.get(`vsmb ${s.name}`) ?? 0);
    for (const [h, n] of held)
      expect(n, `${h} on ${r.id} is held but not attached`).toBeGreaterThan(0);
    const slots = [...r.scsi, ...r.reserved].map((a) => `${a.controller}:${a.lun}`);
    expect(new Set(slots).size, `a SCSI slot of ${r.id} holds two devices`).toBe(slots.length);
    const simState = sim.inspect(r.id);
    expect(simState, `sim has no system ${r.id}`).toBeDefined();
    expect(simDevices(simState!), `sim and ledger disagree on ${r.id}`).toEqual(engineDevices(r));
  }
}
