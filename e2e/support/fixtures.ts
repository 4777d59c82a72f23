/**
 * The e2e fixture: each test gets a fresh state directory and the app on top of it, either the
 * desktop app (Electron) or `serve` in Chromium. It deliberately does not use Playwright's
 * built-in `page`/`browser` fixtures, so the electron project never starts a bundled browser.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  _electron,
  chromium,
  test as base,
  type Browser,
  type Page,
} from '@playwright/test';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  CLI,
  ELECTRON_MAIN,
  NO_ELECTRON_REASON,
  RENDERER_DIR,
  SCREENSHOTS,
  SERVE_LAUNCHER,
  electronBinary,
} from './environment.js';

export type UvmHost = 'electron' | 'web';

export interface AppFixtureOptions {
  uvmHost: UvmHost;
  /** Passed as `--sim-fail-at`: the Nth HCS request of the app's process fails. */
  simFailAt: number | undefined;
  /**
   * `engine`: the real layer service (sim backend). `memory-qemu`: `serve` over the in-memory
   * service emulating the qemu backend (web project only; no VM is booted).
   */
  service: 'engine' | 'memory-qemu';
}

export interface ServeInfo {
  url: string;
  token: string;
  port: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AppFixture {
  page: Page;
  host: UvmHost;
  stateDir: string;
  /** The running `serve` (web project only). */
  serve: ServeInfo | undefined;
  /** Creates a layer folder holding `layer.vhd` (LCOW) and returns its path. */
  layer(name: string): Promise<string>;
  /** Creates a scratch folder holding `sandbox.vhdx`. */
  scratch(name: string): Promise<string>;
  /** Runs the CLI against the same state directory. */
  cli(...args: string[]): Promise<CliResult>;
  /** Saves a screenshot of the window as <SCREENSHOTS>/<project>-<name>.png (test-results/screenshots by default). */
  screenshot(name: string): Promise<void>;
  /** Runs an action that downloads a file; returns the saved file's path. */
  download(action: () => Promise<void>): Promise<string>;
}

async function startServe(
  stateDir: string,
  simFailAt: number | undefined,
  memoryQemu: boolean,
): Promise<{ child: ChildProcess; info: ServeInfo }> {
  if (!existsSync(SERVE_LAUNCHER) || !existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(
      'the app is not built: run `npm run test:e2e` (it builds first) or `npm run build`',
    );
  }
  const args = [SERVE_LAUNCHER, '--state-dir', stateDir, '--renderer', RENDERER_DIR];
  if (simFailAt !== undefined) args.push('--sim-fail-at', String(simFailAt));
  if (memoryQemu) args.push('--memory-qemu');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const info = await new Promise<ServeInfo>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line) as ServeInfo));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, info };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export const test = base.extend<
  { app: AppFixture } & AppFixtureOptions,
  { webBrowser: Browser | undefined }
>({
  uvmHost: ['web', { option: true }],
  simFailAt: [undefined, { option: true }],
  service: ['engine', { option: true }],

  webBrowser: [
    // Playwright reads fixture dependencies from the destructuring pattern; this one has none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use, workerInfo) => {
      if (
        workerInfo.project.use &&
        (workerInfo.project.use as Partial<AppFixtureOptions>).uvmHost !== 'web'
      ) {
        await use(undefined);
        return;
      }
      if (!existsSync(CHROMIUM)) {
        throw new Error(
          `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (the web project needs it)`,
        );
      }
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],

  app: async ({ uvmHost, simFailAt, service, webBrowser }, use, testInfo) => {
    testInfo.skip(
      uvmHost === 'electron' && service !== 'engine',
      'the in-memory qemu emulation is served by `serve` only; the desktop app always runs the engine',
    );
    const root = await mkdtemp(path.join(tmpdir(), 'uvm-layers-e2e-'));
    const stateDir = path.join(root, 'state');
    const data = path.join(root, 'data');
    const downloads = path.join(root, 'downloads');
    await mkdir(data, { recursive: true });
    await mkdir(downloads, { recursive: true });
    const cleanups: Array<() => Promise<unknown>> = [];
    let page: Page;
    let serve: ServeInfo | undefined;

    if (uvmHost === 'electron') {
      const binary = electronBinary();
      testInfo.skip(binary === undefined, NO_ELECTRON_REASON);
      const args = [ELECTRON_MAIN, '--backend', 'sim', '--state-dir', stateDir];
      if (simFailAt !== undefined) args.push('--sim-fail-at', String(simFailAt));
      const electronApp = await _electron.launch({
        executablePath: binary!,
        args,
        env: { ...process.env, XDG_CONFIG_HOME: path.join(root, 'config') },
      });
      cleanups.push(() => electronApp.close());
      await electronApp.evaluate(({ session }, dir) => {
        session.defaultSession.on('will-download', (_event, item) =>
          item.setSavePath(`${dir}/${item.getFilename()}`),
        );
      }, downloads);
      page = await electronApp.firstWindow();
    } else {
      if (!webBrowser) throw new Error('no browser for the web project');
      const started = await startServe(stateDir, simFailAt, service === 'memory-qemu');
      serve = started.info;
      cleanups.push(() => stopChild(started.child));
      const context = await webBrowser.newContext({
        viewport: { width: 1400, height: 860 },
        acceptDownloads: true,
      });
      cleanups.push(() => context.close());
      page = await context.newPage();
      await page.goto(serve.url);
    }
    await page.getByRole('button', { name: 'New UVM' }).first().waitFor();

    const fixture: AppFixture = {
      page,
      host: uvmHost,
      stateDir,
      serve,
      async layer(name) {
        const dir = path.join(data, 'layers', name);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'layer.vhd'), `layer ${name}\n`);
        return dir;
      },
      async scratch(name) {
        const dir = path.join(data, 'scratch', name);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'sandbox.vhdx'), `scratch ${name}\n`);
        return dir;
      },
      cli(...args) {
        return new Promise((resolve) => {
          execFile(
            process.execPath,
            [CLI, '--state-dir', stateDir, ...args],
            (error, stdout, stderr) => {
              resolve({
                code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
                stdout,
                stderr,
              });
            },
          );
        });
      },
      async screenshot(name) {
        await mkdir(SCREENSHOTS, { recursive: true });
        await page.screenshot({
          path: path.join(SCREENSHOTS, `${testInfo.project.name}-${name}.png`),
        });
      },
      async download(action) {
        if (uvmHost === 'web') {
          const [download] = await Promise.all([page.waitForEvent('download'), action()]);
          const target = path.join(downloads, (download).suggestedFilename());
          await (download).saveAs(target);
          return target;
        }
        await action();
        const deadline = Date.now() + 10_000;
        const { readdir } = await import('node:fs/promises');
        for (;;) {
          const files = (await readdir(downloads)).filter((f) => !f.endsWith('.crdownload'));
          if (files[0] !== undefined) return path.join(downloads, files[0]);
          if (Date.now() > deadline) throw new Error('no file was downloaded');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
    };
    await use(fixture);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';
