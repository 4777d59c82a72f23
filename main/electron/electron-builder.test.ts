import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');

interface BuilderConfig {
  appId?: string;
  files?: string[];
  asar?: boolean;
  asarUnpack?: string[];
  electronFuses?: Record<string, boolean>;
  linux?: { target?: string[]; icon?: string };
  win?: { target?: string[]; icon?: string };
  directories?: { output?: string; buildResources?: string };
}

const config = parse(
  readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'),
) as BuilderConfig;

/** A small glob matcher, enough for the patterns this file uses (**, *, {a,b}). */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',') out += '|';
    else out += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** electron-builder's rule: a file is packed if an include pattern matches and no later `!` one does. */
function packed(file: string): boolean {
  let included = false;
  for (const pattern of config.files ?? []) {
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(file)) included = false;
    } else if (globToRegExp(pattern).test(file)) included = true;
  }
  return included;
}

describe('electron-builder.yml', () => {
  it('parses', () => {
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(config.directories?.buildResources).toBe('build');
  });

  it('builds AppImage and deb on Linux, nsis on Windows, with the icon', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(
      readFileSync(path.join(ROOT, config.linux?.icon ?? 'missing'))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('packs the build output and keeps sources, tests, maps and the e2e launcher out', () => {
    for (const file of [
      'package.json',
      'out/main/index.js',
      'out/preload/index.js',
      'out/renderer/index.html',
      'out/renderer/assets/index-abc.js',
    ]) {
      expect(packed(file), file).toBe(true);
    }
    for (const file of [
      'main/electron/index.ts',
      'renderer/src/main.tsx',
      'preload/index.ts',
      'e2e/specs/mount.spec.ts',
      'out/e2e/serve.cjs',
      'out/main/index.js.map',
      'out/renderer/assets/x.test.js',
      'dist/cli.cjs',
      'README.md',
      'tsconfig.json',
      'electron.vite.config.ts',
    ]) {
      expect(packed(file), file).toBe(false);
    }
  });

  it('turns runAsNode, NODE_OPTIONS and inspect off in the packaged binary', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
    });
  });

  it("unpacks koffi's native module from the asar", () => {
    expect(config.asar).toBe(true);
    const unpacked = (file: string) =>
      (config.asarUnpack ?? []).some((p) => globToRegExp(p).test(file));
    expect(unpacked('node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node')).toBe(true);
    expect(unpacked('node_modules/@koromix/koffi-win32-x64/win32_x64/koffi.node')).toBe(true);
    expect(unpacked('node_modules/koffi/index.js')).toBe(true);
    expect(unpacked('out/main/index.js')).toBe(false);
  });

  it('uses only options electron-builder 26 knows', () => {
    const schema = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
    ) as {
      properties: Record<string, unknown>;
      definitions: Record<string, { properties?: Record<string, unknown> }>;
    };
    const known = new Set(Object.keys(schema.properties));
    for (const key of Object.keys(config)) expect(known.has(key), key).toBe(true);
    const fuses = new Set(Object.keys(schema.definitions.FuseOptionsV1?.properties ?? {}));
    for (const key of Object.keys(config.electronFuses ?? {}))
      expect(fuses.has(key), key).toBe(true);
  });
});
