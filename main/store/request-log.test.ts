import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../engine/views.js';
import { StateStore } from './state-store.js';
import { visitLinesBackward } from './tail-lines.js';
import { removeTempStateDirs, tempStateDir } from './test-support/store-child.js';

afterAll(removeTempStateDirs);

function entry(uvm: string | null, request: unknown, ok = true): Omit<LogEntry, 'seq'> {
  return { time: '2025-01-01T00:00:00.000Z', uvm, request, ok, ms: 1.5 };
}

describe('request log', () => {
  it('numbers entries 1, 2, 3... and filters by UVM and tail', () => {
    const store = StateStore.open(tempStateDir());
    const uvms = ['a', 'b', null, 'a', 'a', 'b'];
    const appended = uvms.map((uvm, i) => store.appendLog(entry(uvm, { i })));
    expect(appended.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.readLog()).toEqual(appended);
    expect(store.readLog({ uvm: 'a' }).map((e) => e.seq)).toEqual([1, 4, 5]);
    expect(store.readLog({ tail: 2 }).map((e) => e.seq)).toEqual([5, 6]);
    expect(store.readLog({ uvm: 'b', tail: 1 }).map((e) => e.seq)).toEqual([6]);
    expect(store.readLog({ uvm: 'a', tail: 10 }).map((e) => e.seq)).toEqual([1, 4, 5]);
    expect(store.readLog({ tail: 0 })).toEqual([]);
    expect(() => store.readLog({ tail: -1 })).toThrow(/tail/);
  });

  it('keeps the error of a failed request and only LogEntry fields', () => {
    const store = StateStore.open(tempStateDir());
    const error = {
      code: 'HCS_ERROR',
      message: 'The system cannot find the file specified.',
      hresult: '0x80070002',
    };
    const extra = { ...entry('u1', { ResourcePath: 'x' }, false), error, seq: 99, junk: true };
    const written = store.appendLog(extra);
    expect(written).toEqual({ seq: 1, ...entry('u1', { ResourcePath: 'x' }, false), error });
    expect(store.readLog()).toEqual([written]);
  });

  it('is empty before the first entry', () => {
    expect(StateStore.open(tempStateDir()).readLog({ tail: 5 })).toEqual([]);
  });

  it('continues seqs written by another store instance (its cached tail is refreshed)', () => {
    const dir = tempStateDir();
    const a = StateStore.open(dir);
    const b = StateStore.open(dir);
    expect(a.appendLog(entry(null, 1)).seq).toBe(1);
    expect(b.appendLog(entry(null, 2)).seq).toBe(2);
    expect(a.appendLog(entry(null, 3)).seq).toBe(3);
    expect(a.readLog().map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('skips a torn last line after a crash, and the next entry starts on its own line', () => {
    const store = StateStore.open(tempStateDir());
    store.appendLog(entry('u1', 1));
    store.appendLog(entry('u1', 2));
    const file = path.join(store.dir, 'log.jsonl');
    fs.appendFileSync(file, '{"seq":3,"time":"2025-01-01T00:00:00.000Z","uvm":"u1","requ');
    expect(store.readLog().map((e) => e.seq)).toEqual([1, 2]);
    expect(store.readLog({ tail: 1 }).map((e) => e.seq)).toEqual([2]);

    const next = StateStore.open(store.dir).appendLog(entry('u1', 3)); // a fresh process
    expect(next.seq).toBe(3);
    expect(store.readLog().map((e) => e.request)).toEqual([1, 2, 3]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(5); // 2 entries, the torn line, the new entry, '' after the last newline
  });

  it('reads the tail of a log larger than one read chunk, multi-byte text included', () => {
    const store = StateStore.open(tempStateDir());
    const padding = 'é→😀'.repeat(40);
    for (let i = 0; i < 1500; i++)
      store.appendLog(entry(i % 2 === 0 ? 'even' : 'odd', { i, padding }));
    expect(fs.statSync(path.join(store.dir, 'log.jsonl')).size).toBeGreaterThan(3 * 64 * 1024);
    const all = store.readLog();
    expect(all).toHaveLength(1500);
    expect(store.readLog({ tail: 700 })).toEqual(all.slice(-700));
    expect(store.readLog({ uvm: 'odd', tail: 600 })).toEqual(
      all.filter((e) => e.uvm === 'odd').slice(-600),
    );
  });
});

describe('visitLinesBackward', () => {
  it('yields the same non-empty lines as a forward split, in reverse, for any chunk size', () => {
    const dir = tempStateDir();
    const file = path.join(dir, 'lines.txt');
    const line = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\n'));
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 9 }),
        (lines, trailing, chunk) => {
          const text = lines.join('\n') + (trailing ? '\n' : '');
          fs.writeFileSync(file, text);
          const seen: string[] = [];
          const fd = fs.openSync(file, 'r');
          try {
            visitLinesBackward(fd, fs.fstatSync(fd).size, (l) => (seen.push(l), false), chunk);
          } finally {
            fs.closeSync(fd);
          }
          expect(seen).toEqual(
            text
              .split('\n')
              .filter((l) => l !== '')
              .reverse(),
          );
        },
      ),
    );
  });
});
