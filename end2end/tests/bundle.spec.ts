// The browser bundle: compressed, named after its content, kept by the service
// worker, and never paired with another build's pages.
import { test, expect, type Page, type Request } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hydrated, memberWithSchedule } from './support';

const SITE = resolve(__dirname, '../../target/site');
const CONTENT_NAMED = /^pruuf\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/;

// The /pkg/ files a page's <head> names.
async function bundleOf(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('link[href^="/pkg/"]')).map((l) => (l as HTMLLinkElement).getAttribute('href') ?? ''),
  );
}

test('the bundle is content-named, compressed and cached for a year; a repeat visit fetches only the page', async ({
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const { mum } = await memberWithSchedule(browser);
  await mum.goto('/home');
  await hydrated(mum);
  const files = await bundleOf(mum);
  expect(files.map((f) => f.replace('/pkg/', '')).sort()).toEqual([
    expect.stringMatching(CONTENT_NAMED),
    expect.stringMatching(CONTENT_NAMED),
    expect.stringMatching(CONTENT_NAMED),
  ]);

  // Served from the build's brotli copy, kept for a year; the page itself is
  // compressed on the fly and always checked with the server.
  const wasm = files.find((f) => f.endsWith('.wasm'))!;
  const br = await request.get(wasm, { headers: { 'Accept-Encoding': 'br, gzip' } });
  expect(br.headers()['content-encoding']).toBe('br');
  expect(br.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(br.headers()['vary']).toContain('accept-encoding');
  const gz = await request.get(wasm, { headers: { 'Accept-Encoding': 'gzip' } });
  expect(gz.headers()['content-encoding']).toBe('gzip');
  const page = await mum.request.get('/home', { headers: { 'Accept-Encoding': 'br, gzip' } });
  expect(page.headers()['content-encoding']).toMatch(/^(br|gzip)$/);
  expect(page.headers()['cache-control']).toBe('no-cache');

  // Once the service worker holds the bundle, a visit loads none of it from the network.
  await mum.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await mum.reload();
  await hydrated(mum);
  await expect.poll(() => mum.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  const fromNetwork: string[] = [];
  const fromWorker: string[] = [];
  const seen = (r: Request) => {
    if (!new URL(r.url()).pathname.startsWith('/pkg/')) return;
    (r.serviceWorker() ? fromNetwork : fromWorker).push(new URL(r.url()).pathname);
  };
  mum.context().on('request', seen);
  await mum.reload();
  await hydrated(mum);
  mum.context().off('request', seen);
  expect(fromNetwork).toEqual([]);
  expect(new Set(fromWorker)).toEqual(new Set(files));
});

// ---- A deploy: the same address, a new build --------------------------------

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

// A copy of the built site whose bundle files carry other content names, as the
// next build's would.
function nextBuild(from: string, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pruuf-site-${tag}-`));
  cpSync(from, dir, { recursive: true });
  const pkg = join(dir, 'pkg');
  for (const name of readdirSync(pkg)) {
    const m = /^pruuf\.([A-Za-z0-9_-]{22})\.(js|wasm|css)(\.br|\.gz)?$/.exec(name);
    if (m) renameSync(join(pkg, name), join(pkg, `pruuf.${(tag.repeat(22) + m[1]).slice(0, 22)}.${m[2]}${m[3] ?? ''}`));
  }
  return dir;
}

async function startServer(site: string, port: number): Promise<ChildProcess> {
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.env.PRUUF_E2E_SERVER ?? resolve(__dirname, '../../target/release/server'), [], {
    cwd: resolve(__dirname, '../..'),
    stdio: 'ignore',
    env: {
      ...process.env,
      DATABASE_URL: process.env.PRUUF_E2E_DATABASE_URL!,
      PRUUF_ENV: 'test',
      PRUUF_PUBLIC_URL: base,
      PRUUF_SMTP_URL: process.env.PRUUF_SMTP_URL ?? 'smtp://127.0.0.1:1025',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: site,
      LEPTOS_ENV: 'PROD',
      RUST_LOG: 'warn',
    },
  });
  await expect
    .poll(async () => fetch(`${base}/ready`).then((r) => r.status, () => 0), { timeout: 30_000, intervals: [100, 250] })
    .toBe(200);
  return server;
}

async function stop(server: ChildProcess) {
  const gone = new Promise((ok) => server.once('exit', ok));
  server.kill('SIGTERM');
  await gone;
}

test('after a deploy, pages name only the new build’s files and the old names are gone', async ({ browser }) => {
  test.setTimeout(120_000);
  const [one, two] = [nextBuild(SITE, 'A'), nextBuild(SITE, 'B')];
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(one, port);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await hydrated(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    const oldFiles = await bundleOf(page);
    expect(oldFiles.every((f) => f.includes('pruuf.AAAA'))).toBe(true);

    await stop(server);
    server = await startServer(two, port);

    // The old build's worker still controls the page: the page comes from the
    // network and names the new files, which are fetched, never the old ones.
    const asked: string[] = [];
    context.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/pkg/')) asked.push(path);
    });
    await page.reload();
    await hydrated(page);
    const newFiles = await bundleOf(page);
    expect(newFiles.every((f) => f.includes('pruuf.BBBB'))).toBe(true);
    expect(asked.filter((p) => p.includes('pruuf.AAAA'))).toEqual([]);
    expect(asked).toEqual(expect.arrayContaining(newFiles));
    // An old name is not answered with the new build's bytes.
    for (const f of oldFiles) expect((await page.request.get(`${base}${f}`)).status()).toBe(404);
  } finally {
    await context.close();
    await stop(server);
    rmSync(one, { recursive: true, force: true });
    rmSync(two, { recursive: true, force: true });
  }
});
