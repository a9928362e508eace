// The service worker's offline check-in queue, run in Node against stand-ins for
// the network and IndexedDB (no browser needed): a tap is kept whenever the
// server gives no definite answer (5xx, 429, 408 or nothing), and dropped only
// on one. The browser path (offline, then back) is in pwa.spec.ts.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, Script } from 'node:vm';

type Tap = { id: number; body: string; type: string; at: number };

function worker(answer: () => Promise<{ status: number }>) {
  const taps: Tap[] = [];
  const told: string[] = [];
  const ctx: Record<string, unknown> = {
    self: { addEventListener() {}, registration: {}, clients: { matchAll: async () => [] } },
    Response,
    URLSearchParams,
    console,
  };
  createContext(ctx);
  new Script(readFileSync(join(__dirname, '../../public/sw.js'), 'utf8')).runInContext(ctx);
  let next = 1;
  // IndexedDB's object store, as an array.
  ctx.store = (_mode: string, work: (s: unknown) => unknown) => {
    const s = {
      add: (t: Omit<Tap, 'id'>) => taps.push({ ...t, id: next++ }),
      delete: (id: number) => taps.splice(taps.findIndex((t) => t.id === id) >>> 0, 1),
      getAll: () => ({ result: taps.slice() }),
    };
    const r = work(s) as { result?: unknown } | undefined;
    return Promise.resolve(r && typeof r === 'object' && 'result' in r ? r.result : undefined);
  };
  ctx.tell = async (m: { type: string }) => told.push(m.type);
  ctx.fetch = answer;
  const tap = {
    clone: () => ({ text: async () => 'from=button', headers: { get: () => 'application/x-www-form-urlencoded' } }),
  };
  const checkIn = () => (ctx.checkInOrQueue as (r: unknown) => Promise<{ status: number }>)(tap);
  const flush = () => (ctx.flush as () => Promise<void>)();
  return { taps, told, checkIn, flush, ctx };
}

test('a tap is kept when the server answers 5xx, 429 or nothing, and settled by a definite answer', async () => {
  for (const status of [500, 502, 503, 504, 429, 408]) {
    const w = worker(async () => ({ status }));
    const shown = await w.checkIn();
    expect(w.taps.length, `kept on ${status}`).toBe(1);
    expect(shown.status).toBe(503);
    expect(w.told).toContain('pruuf-check-in-queued');
  }
  const down = worker(() => Promise.reject(new TypeError('Failed to fetch')));
  await down.checkIn();
  expect(down.taps.length, 'kept with no answer').toBe(1);
  for (const status of [200, 400, 401, 403]) {
    const w = worker(async () => ({ status }));
    const shown = await w.checkIn();
    expect(shown.status, `the server's own answer on ${status}`).toBe(status);
    expect(w.taps.length).toBe(0);
  }

  // Sending the kept tap later: a failing server keeps it; an answer settles it.
  let status = 503;
  const later = worker(async () => ({ status }));
  await later.checkIn();
  await later.flush();
  expect(later.taps.length, 'still kept after a 503').toBe(1);
  status = 200;
  await later.flush();
  expect(later.taps.length).toBe(0);
  expect(later.told).toContain('pruuf-check-in-sent');
});
