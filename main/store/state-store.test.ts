import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UvmLayersError, type ErrorCode } from '../engine/errors.js';
import { StateStore, STORE_FORMAT_VERSION } from './state-store.js';
import { removeTempStateDirs, tempStateDir } from './test-support/store-child.js';

afterAll(removeTempStateDirs);

function errorOf(fn: () => unknown): UvmLayersError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UvmLayersError) return error;
    throw error;
  }
  throw new Error('expected the call to throw a UvmLayersError');
}

function expectCode(fn: () => unknown, code: ErrorCode): UvmLayersError {
  const error = errorOf(fn);
  expect(error.code, error.message).toBe(code);
  return error;
}

describe('records', () => {
  it('round-trips data and counts revisions per key', () => {
    const store = StateStore.open(tempStateDir());
    expect(store.read('uvm/u1')).toBeUndefined();
    expect(store.write('uvm/u1', { scsi: [0, 1] })).toBe(1);
    expect(store.write('uvm/u1', { scsi: [0] })).toBe(2);
    expect(store.write('host', { containers: [] })).toBe(1);
    expect(store.read('uvm/u1')).toEqual({ revision: 2, data: { scsi: [0] } });
    expect(store.read('host')).toEqual({ revision: 1, data: { containers: [] } });
    const onDisk: unknown = JSON.parse(
      fs.readFileSync(path.join(store.dir, 'uvm', 'u1.json'), 'utf8'),
    );
    expect(onDisk).toEqual({ format: STORE_FORMAT_VERSION, revision: 2, data: { scsi: [0] } });
  });

  it('continues revisions after a delete, so a re-created key never goes backwards', () => {
    const store = StateStore.open(tempStateDir());
    store.write('uvm/u1', 'a');
    store.write('uvm/u1', 'b');
    store.delete('uvm/u1');
    expect(store.read('uvm/u1')).toBeUndefined();
    expect(store.list('uvm/')).toEqual([]);
    store.delete('uvm/u1'); // deleting again changes nothing
    store.delete('uvm/never-written');
    expect(store.write('uvm/u1', 'c')).toBe(4);
    expect(store.read('uvm/u1')).toEqual({ revision: 4, data: 'c' });
  });

  it('lists keys by prefix, sorted, without deleted keys', () => {
    const store = StateStore.open(tempStateDir());
    for (const key of ['uvm/b', 'uvm/a', 'uvm/gone', 'sim/u1', 'sim-host', 'host'])
      store.write(key, 1);
    store.delete('uvm/gone');
    expect(store.list('uvm/')).toEqual(['uvm/a', 'uvm/b']);
    expect(store.list('sim')).toEqual(['sim-host', 'sim/u1']);
    expect(store.list('')).toEqual(['host', 'sim-host', 'sim/u1', 'uvm/a', 'uvm/b']);
    expect(store.list('nothing/')).toEqual([]);
  });

  it('keeps several stores on one folder consistent (each sees the others’ writes)', () => {
    const dir = tempStateDir();
    const a = StateStore.open(dir);
    const b = StateStore.open(dir);
    a.write('uvm/u1', 1);
    expect(b.write('uvm/u1', 2)).toBe(2);
    expect(a.read('uvm/u1')).toEqual({ revision: 2, data: 2 });
  });

  it.each([
    '',
    'UVM/u1',
    'uvm/',
    'uvm/a/b',
    '../x',
    'uvm/../x',
    'uvm/.hidden',
    'uvm/a b',
    'store',
    'log',
    'intents/x',
    'uvm/CON',
    'uvm/' + 'x'.repeat(129),
  ])('rejects the invalid key %j with INVALID_ARGUMENT', (key) => {
    const store = StateStore.open(tempStateDir());
    expectCode(() => store.write(key, 1), 'INVALID_ARGUMENT');
    expectCode(() => store.read(key), 'INVALID_ARGUMENT');
  });

  it('refuses data JSON cannot hold instead of storing something else', () => {
    const store = StateStore.open(tempStateDir());
    expectCode(() => store.write('host', undefined), 'INVALID_ARGUMENT');
    expectCode(() => store.write('host', { n: 1n }), 'INVALID_ARGUMENT');
    expect(fs.existsSync(path.join(store.dir, 'host.json'))).toBe(false);
  });

  it('refuses use after close with a clear error', () => {
    const store = StateStore.open(tempStateDir());
    store.close();
    expect(expectCode(() => store.read('host'), 'INTERNAL').message).toMatch(/closed/);
  });
});

describe('damaged and newer files are refused, never overwritten', () => {
  const damaged: Array<[string, string, ErrorCode]> = [
    ['invalid JSON', '{"format":1,"revision":3,"da', 'STORE_CORRUPT'],
    ['an empty file', '', 'STORE_CORRUPT'],
    ['a missing revision', '{"format":1,"data":{}}', 'STORE_CORRUPT'],
    ['a non-object', '[1,2]', 'STORE_CORRUPT'],
    ['a newer format', '{"format":2,"revision":7,"data":{"new":true}}', 'STORE_VERSION'],
  ];

  it.each(damaged)(
    'a record file with %s: read, write and delete fail; the bytes stay',
    (_what, content, code) => {
      const store = StateStore.open(tempStateDir());
      store.write('uvm/u1', { ok: true });
      const file = path.join(store.dir, 'uvm', 'u1.json');
      fs.writeFileSync(file, content);
      for (const attempt of [
        () => store.read('uvm/u1'),
        () => store.write('uvm/u1', {}),
        () => store.delete('uvm/u1'),
      ]) {
        const error = expectCode(attempt, code);
        expect(error.message).toContain(file);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
    },
  );

  it('tells the user what to do about a corrupt or newer record', () => {
    const store = StateStore.open(tempStateDir());
    fs.writeFileSync(path.join(store.dir, 'host.json'), 'garbage');
    expect(errorOf(() => store.read('host')).message).toMatch(/move it aside/);
    fs.writeFileSync(path.join(store.dir, 'host.json'), '{"format":9,"revision":1,"data":1}');
    expect(errorOf(() => store.read('host')).message).toMatch(
      /version 9.*upgrade uvm-layers or use another --state-dir/s,
    );
  });

  it('lists a corrupt record (so reading it reports the damage) but not a deleted one', () => {
    const store = StateStore.open(tempStateDir());
    store.write('uvm/a', 1);
    store.write('uvm/b', 1);
    fs.writeFileSync(path.join(store.dir, 'uvm', 'a.json'), 'garbage');
    expect(store.list('uvm/')).toEqual(['uvm/a', 'uvm/b']);
  });

  it('open() creates store.json and accepts it on the next open', () => {
    const dir = path.join(tempStateDir(), 'nested', 'state');
    const store = StateStore.open(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'store.json'), 'utf8'))).toEqual({
      format: 'uvm-layers-state',
      version: 1,
    });
    if (process.platform !== 'win32') expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(StateStore.open(dir).dir).toBe(store.dir);
  });

  it('open() refuses a state directory from a newer uvm-layers, naming dir and versions', () => {
    const dir = tempStateDir();
    const marker = path.join(dir, 'store.json');
    const content = '{"format":"uvm-layers-state","version":2}';
    fs.writeFileSync(marker, content);
    const error = expectCode(() => StateStore.open(dir), 'STORE_VERSION');
    expect(error.message).toContain(dir);
    expect(error.message).toMatch(/version 2/);
    expect(error.message).toMatch(/supports version 1/);
    expect(error.message).toMatch(/upgrade uvm-layers or use another --state-dir/i);
    expect(fs.readFileSync(marker, 'utf8')).toBe(content);
  });

  it.each(['not json', '{"format":"something-else","version":1}', '{"format":"uvm-layers-state"}'])(
    'open() refuses the store.json %j as corrupt and leaves it alone',
    (content) => {
      const dir = tempStateDir();
      const marker = path.join(dir, 'store.json');
      fs.writeFileSync(marker, content);
      const error = expectCode(() => StateStore.open(dir), 'STORE_CORRUPT');
      expect(error.message).toContain(marker);
      expect(error.message).toMatch(/move it aside/);
      expect(fs.readFileSync(marker, 'utf8')).toBe(content);
    },
  );
});

describe('atomic writes', () => {
  it('leaves no temp files behind', () => {
    const store = StateStore.open(tempStateDir());
    for (let i = 0; i < 20; i++) store.write(`uvm/u${i % 3}`, { i });
    store.delete('uvm/u0');
    expect(fs.readdirSync(path.join(store.dir, 'uvm')).sort()).toEqual([
      'u0.json',
      'u1.json',
      'u2.json',
    ]);
    expect(fs.readdirSync(store.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('ignores a temp file left by a writer that crashed before its rename', () => {
    const store = StateStore.open(tempStateDir());
    store.write('uvm/u1', { before: 'crash' });
    fs.writeFileSync(
      path.join(store.dir, 'uvm', '.u1.json.4242.deadbeef.tmp'),
      '{"format":1,"revision":2,"da',
    );
    expect(store.read('uvm/u1')).toEqual({ revision: 1, data: { before: 'crash' } });
    expect(store.list('uvm/')).toEqual(['uvm/u1']);
    expect(store.write('uvm/u1', { after: 'crash' })).toBe(2);
    expect(store.read('uvm/u1')?.data).toEqual({ after: 'crash' });
  });
});

describe('intents', () => {
  it('records, reads, lists and clears an operation intent', () => {
    const store = StateStore.open(tempStateDir());
    expect(store.readIntent('uvm/u1')).toBeUndefined();
    store.writeIntent('uvm/u1', { op: 'mount', step: 1 });
    store.writeIntent('host', { op: 'unmount' });
    expect(store.readIntent('uvm/u1')).toEqual({ op: 'mount', step: 1 });
    expect(store.listIntents()).toEqual(['host', 'uvm/u1']);
    store.clearIntent('uvm/u1');
    store.clearIntent('uvm/u1'); // absent is fine
    expect(store.readIntent('uvm/u1')).toBeUndefined();
    expect(store.listIntents()).toEqual(['host']);
    expect(fs.existsSync(path.join(store.dir, 'intents', 'host.json'))).toBe(true);
  });

  it('refuses a corrupt or newer intent file and does not overwrite it', () => {
    const store = StateStore.open(tempStateDir());
    store.writeIntent('host', { op: 'mount' });
    const file = path.join(store.dir, 'intents', 'host.json');
    for (const [content, code] of [
      ['{"format":1,"int', 'STORE_CORRUPT'],
      ['{"format":3,"intent":{}}', 'STORE_VERSION'],
    ] as const) {
      fs.writeFileSync(file, content);
      expect(expectCode(() => store.readIntent('host'), code).message).toContain(file);
      expectCode(() => store.writeIntent('host', { op: 'other' }), code);
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
    }
  });
});
