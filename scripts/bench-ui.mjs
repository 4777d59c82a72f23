/* global performance, document, requestAnimationFrame, setTimeout, MutationObserver */
// UI scale benchmark (a benchmark, not a test; nothing asserts on time). Serves a state of
// 64 UVMs × (256 SCSI, 64 vPMEM, 128 VSMB, 64 containers) from an in-memory service through the
// real `serve` code, opens the built renderer in Chromium and measures, in the page:
//   - first render: click on a UVM until its SCSI grid (256 cells) is in the DOM, and until the
//     next frame; each run opens a UVM not shown before;
//   - one change: a change event for the shown UVM (another process raised one ref count) until
//     the cell shows it; split into the refetch and the apply (store merge + React commit).
// Needs `npm run build` (for out/renderer) and /usr/bin/chromium. Prints the figures;
// `--screenshot FILE` also saves the busy UVM's SCSI grid.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleNode } from './bundle-node.mjs';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Rows further down the virtualised UVM list are not in the DOM to click: at most 12 runs.
const RUNS = Math.min(12, Number(process.env.BENCH_RUNS ?? 9));
const CHROMIUM = process.env.UVM_LAYERS_CHROMIUM ?? '/usr/bin/chromium';

const work = mkdtempSync(path.join(tmpdir(), 'uvm-layers-bench-'));
const bundle = path.join(work, 'server.cjs');
await bundleNode({
  stdin: {
    contents: `
      export { MemoryLayerService } from './main/ipc/testing/memory-service.ts';
      export { scaleState, ISSUE_SCALE } from './main/ipc/testing/scale-state.ts';
      export { startWebServer } from './main/web/server.ts';
    `,
    resolveDir: root,
    loader: 'ts',
  },
  outfile: bundle,
  external: ['koffi', 'electron', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
const { MemoryLayerService, scaleState, ISSUE_SCALE, startWebServer } = await import(
  pathToFileURL(bundle).href
);

const t0 = performance.now();
const state = scaleState(ISSUE_SCALE);
const service = new MemoryLayerService({ stateDir: work });
service.load(state.uvms, state.containers);
const server = await startWebServer(service, {
  rendererDir: path.join(root, 'out', 'renderer'),
  version: 'bench',
});
const viewBytes = JSON.stringify(await service.showUvm('uvm-00')).length;
console.log(
  `state: ${ISSUE_SCALE.uvms} UVMs × (${ISSUE_SCALE.scsi} SCSI, ${ISSUE_SCALE.vpmem} vPMEM, ${ISSUE_SCALE.vsmb} VSMB, ` +
    `${ISSUE_SCALE.containers} containers); one UVM view is ${(viewBytes / 1024).toFixed(0)} KiB of JSON ` +
    `(built in ${(performance.now() - t0).toFixed(0)} ms)`,
);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('pageerror', (error) => console.error('page error:', error.message));
page.on('crash', () => console.error('page crashed'));
await page.goto(server.url);
await page.getByRole('option', { name: /^uvm-00\b/ }).waitFor();

/** In the page: click a UVM row, wait for its full SCSI grid; returns [commit ms, next-frame ms]. */
async function firstRender(id) {
  return page.evaluate(async (uvm) => {
    const row = document.getElementById(`uvm-option-${uvm}`);
    if (!row) throw new Error(`no row for ${uvm}`);
    const full = () =>
      document.querySelectorAll('.scsi-cell.layer, .scsi-cell.scratch').length >= 256 &&
      document.querySelector('.page-head h2')?.textContent === uvm;
    return new Promise((resolve) => {
      const start = performance.now();
      const observer = new MutationObserver(() => {
        if (!full()) return;
        observer.disconnect();
        const committed = performance.now() - start;
        requestAnimationFrame(() =>
          setTimeout(() => resolve([committed, performance.now() - start]), 0),
        );
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
      row.click();
    });
  }, id);
}

/** Raises one ref count in the service; in the page, times the event, the refetch and the DOM update. */
async function oneChange(id, lun, refCount) {
  const waiting = page.evaluate(
    ({ lun, expected }) =>
      new Promise((resolve) => {
        const cell = document.querySelector(
          `.scsi-cell[data-controller="3"][data-lun="${lun}"] .cell-text`,
        );
        if (!cell) throw new Error('cell not rendered');
        performance.clearMarks();
        const observer = new MutationObserver(() => {
          if (cell.textContent !== expected) return;
          observer.disconnect();
          const done = performance.now();
          const change = performance.getEntriesByName('uvm-layers:change').at(0)?.startTime ?? NaN;
          const fetched =
            performance.getEntriesByName('uvm-layers:view-fetched').at(-1)?.startTime ?? NaN;
          resolve([done - change, done - fetched]);
        });
        observer.observe(cell, { subtree: true, childList: true, characterData: true });
      }),
    { lun, expected: `L${refCount}` },
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  service.mutate(id, (view) => {
    const a = view.scsi.find((s) => s.controller === 3 && s.lun === lun);
    a.refCount = refCount;
  });
  return waiting;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) =>
  `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

// Warm-up: the first UVM opened pays for code that runs once (JIT, style recalc of the grid).
await firstRender('uvm-13');
const commits = [];
const frames = [];
for (let i = 0; i < RUNS; i += 1) {
  const [commit, frame] = await firstRender(`uvm-${String(i + 1).padStart(2, '0')}`);
  commits.push(commit);
  frames.push(frame);
}
const id = `uvm-${String(RUNS).padStart(2, '0')}`;
const totals = [];
const applies = [];
for (let i = 0; i < RUNS; i += 1) {
  const [total, apply] = await oneChange(id, 10 + i, 7 + i);
  totals.push(total);
  applies.push(apply);
}

console.log(
  `first render of a full UVM (click → 256-cell grid in the DOM): ${fmt(commits)}   [target ≤ 500 ms]`,
);
console.log(`                                            (… → next frame):      ${fmt(frames)}`);
console.log(`one change event, arrival → cell updated (incl. refetch):          ${fmt(totals)}`);
console.log(
  `one change event, refetched view → cell updated (merge + render):  ${fmt(applies)}   [target ≤ 16 ms]`,
);
console.log(`runs: ${RUNS} each (BENCH_RUNS to change); Chromium ${browser.version()}`);

const shot = process.argv.indexOf('--screenshot');
if (shot > 0 && process.argv[shot + 1]) {
  await page.getByRole('tab', { name: /^SCSI/ }).click();
  await page.screenshot({ path: process.argv[shot + 1] });
  console.log(`screenshot: ${process.argv[shot + 1]}`);
}

await browser.close();
await server.close();
rmSync(work, { recursive: true, force: true });
