/** Human output: aligned plain-text tables and the `uvm show` report. */
import type {
  ContainerView,
  FileEntryView,
  LogEntry,
  UvmSummary,
  UvmView,
  VerifyReport,
} from '../engine/views.js';

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatUvmList(uvms: readonly UvmSummary[]): string {
  if (uvms.length === 0)
    return 'no utility VMs (create one with `uvm-layers uvm create ID --os linux`)';
  return table(
    ['ID', 'OS', 'STATE', 'SCSI', 'VPMEM', 'VSMB', 'CONTAINERS'],
    uvms.map((u) =>
      u.external
        ? [
            u.id,
            u.os,
            u.state,
            '-',
            '-',
            '-',
            `external ${u.external.systemType}, owner ${u.external.owner || '?'}: HCS cannot list its devices`,
          ]
        : [
            u.id,
            u.os,
            u.state,
            String(u.scsi),
            String(u.vpmem),
            String(u.vsmb),
            String(u.containers),
          ],
    ),
  );
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}

export function formatUvm(v: UvmView): string {
  const o = v.options;
  const out: string[] = [
    `utility VM ${v.id} (${v.os}, ${v.state})`,
    `options: vPMEM ${o.vpmemCount} × ${bytes(o.vpmemMaxSizeBytes)}${o.vpmemMultiMapping ? ' multi-mapping' : ''}, ${o.scsiControllers} SCSI controller(s)${o.physicallyBacked ? ', physically backed' : ''}`,
  ];
  const section = (title: string, body: string | undefined): void => {
    out.push('', title, body ?? '  (none)');
  };
  section(
    'SCSI',
    v.scsi.length || v.reserved.length
      ? table(
          ['SLOT', 'MODE', 'REFS', 'GUEST PATH', 'HOST PATH'],
          [
            ...v.reserved.map((r) => [`${r.controller}:${r.lun}`, 'reserved', '1', '', r.purpose]),
            ...v.scsi.map((s) => [
              `${s.controller}:${s.lun}`,
              s.readOnly ? 'ro' : 'rw',
              String(s.refCount),
              s.uvmPath,
              s.hostPath,
            ]),
          ],
        )
      : undefined,
  );
  section(
    'vPMEM',
    v.vpmem.length
      ? table(
          ['DEVICE', 'SIZE', 'REFS', 'GUEST PATH', 'HOST PATH'],
          v.vpmem.flatMap((d) =>
            d.mappings.length === 0
              ? [
                  [
                    String(d.device),
                    bytes(d.sizeBytes),
                    String(d.refCount),
                    d.uvmPath ?? '',
                    d.hostPath ?? '',
                  ],
                ]
              : d.mappings.map((m) => [
                  `${d.device}@${m.offset}`,
                  bytes(m.sizeBytes),
                  String(m.refCount),
                  m.uvmPath,
                  m.hostPath,
                ]),
          ),
        )
      : undefined,
  );
  section(
    'VSMB',
    v.vsmb.length
      ? table(
          ['NAME', 'REFS', 'OPTIONS', 'HOST PATH'],
          v.vsmb.map((s) => [
            s.name,
            String(s.refCount),
            Object.keys(s.options).join(','),
            s.hostPath,
          ]),
        )
      : undefined,
  );
  section(
    'Combined layers',
    v.combinedLayers.length
      ? table(
          ['ROOT', 'LAYERS', 'SCRATCH'],
          v.combinedLayers.map((c) => [
            c.containerRootPath,
            String(c.layers.length),
            c.scratchPath,
          ]),
        )
      : undefined,
  );
  return out.join('\n');
}

export function formatContainers(containers: readonly ContainerView[]): string {
  if (containers.length === 0) return 'no mounted containers';
  return containers
    .map((c) =>
      [
        `${c.uvm ?? 'host'}  ${c.guestRoot}  →  ${c.rootfs}`,
        table(
          ['  KIND', 'DEVICE', 'RELEASED', 'GUEST PATH', 'FOLDER'],
          [
            ...c.layers.map((l) => [
              `  ${l.kind}`,
              l.device,
              l.released ? 'yes' : 'no',
              l.uvmPath,
              l.folder,
            ]),
            [
              '  scratch',
              c.scratch.device,
              c.scratch.released ? 'yes' : 'no',
              '',
              c.scratch.hostPath,
            ],
          ],
        ),
      ].join('\n'),
    )
    .join('\n\n');
}

function summarize(request: unknown): string {
  if (request && typeof request === 'object') {
    const r = request as Record<string, unknown>;
    if (typeof r.Op === 'string')
      return `${r.Op} ${typeof r.Path === 'string' ? r.Path : typeof r.Id === 'string' ? r.Id : ''}`.trim();
    const guest = r.GuestRequest as Record<string, unknown> | undefined;
    if (typeof r.ResourcePath === 'string') return `${String(r.RequestType)} ${r.ResourcePath}`;
    if (guest) return `${String(guest.RequestType)} guest ${String(guest.ResourceType)}`;
  }
  return JSON.stringify(request);
}

export function formatLog(entries: readonly LogEntry[]): string {
  if (entries.length === 0) return 'no requests logged';
  return table(
    ['SEQ', 'TIME', 'UVM', 'RESULT', 'MS', 'REQUEST'],
    entries.map((e) => [
      String(e.seq),
      e.time,
      e.uvm ?? 'host',
      e.ok ? 'ok' : `failed: ${e.error?.message ?? ''}`,
      e.ms.toFixed(1),
      summarize(e.request),
    ]),
  );
}

export function formatFiles(entries: readonly FileEntryView[]): string {
  if (entries.length === 0) return '(empty)';
  return table(
    ['NAME', 'TYPE', 'SIZE', 'FROM'],
    entries.map((e) => [
      e.whiteout ? `${e.name} (deleted)` : e.name,
      e.whiteout ? 'whiteout' : e.type,
      e.type === 'dir' || e.whiteout ? '' : String(e.size),
      e.origin,
    ]),
  );
}

export function formatVerify(report: VerifyReport): string {
  const lines = [`read back from the VM (${report.state}):`];
  if (report.mismatches.length === 0) lines.push('  devices and guest mounts match the ledger');
  for (const m of report.mismatches) lines.push(`  MISMATCH ${m.kind} ${m.subject}: ${m.message}`);
  for (const p of report.parkedVpmem) {
    lines.push(
      `  parked vPMEM ${p.device ?? '?'} (${p.hostPath ?? 'unknown file'}): unmounted, but QEMU cannot unplug virtio-pmem`,
    );
  }
  return lines.join('\n');
}
