// The browser bundle: compressed, named after its content, kept by the service
// worker, and never paired with another build's pages.
import { test, expect, type Page, type Request } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  // The page's own three files, and the loader of the pages split out of them.
  expect(files.filter((f) => CONTENT_NAMED.test(f.replace('/pkg/', ''))).length).toBe(3);
  expect(files.filter((f) => /^\/pkg\/__wasm_split\.[A-Za-z0-9_-]{22}\.js$/.test(f)).length).toBe(1);

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
  expect(fromWorker).toEqual(expect.arrayContaining(files));
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

// A copy of the built site as the next build would make it: the main files, the
// split loader and its manifest carry other content names, and every file that
// names them (scripts, and the WASM's own import names: the same length, so the
// bytes stay valid) is rewritten to match, losing its compressed copies.
function nextBuild(from: string, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pruuf-site-${tag}-`));
  cpSync(from, dir, { recursive: true });
  const pkg = join(dir, 'pkg');
  const hashes = new Map<string, string>();
  for (const name of readdirSync(pkg)) {
    const m = /^(pruuf|__wasm_split|__wasm_split_manifest)\.([A-Za-z0-9_-]{22})\.(js|wasm|css|json)$/.exec(name);
    if (m) hashes.set(m[2], (tag.repeat(22) + m[2]).slice(0, 22));
  }
  const swap = (text: string) => {
    for (const [old, now] of hashes) text = text.split(old).join(now);
    return text;
  };
  for (const name of readdirSync(pkg)) {
    if (swap(name) !== name) renameSync(join(pkg, name), join(pkg, swap(name)));
  }
  for (const name of readdirSync(pkg).filter((n) => !/\.(br|gz)$/.test(n))) {
    const before = readFileSync(join(pkg, name)).toString('latin1');
    const after = swap(before);
    if (after !== before) {
      writeFileSync(join(pkg, name), Buffer.from(after, 'latin1'));
      rmSync(join(pkg, `${name}.br`), { force: true });
      rmSync(join(pkg, `${name}.gz`), { force: true });
    }
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
    const oldFiles = (await bundleOf(page)).filter((f) => f.startsWith('/pkg/pruuf.'));
    expect(oldFiles.length).toBe(3);
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
    const newFiles = (await bundleOf(page)).filter((f) => f.startsWith('/pkg/pruuf.'));
    expect(newFiles.length).toBe(3);
    expect(newFiles.every((f) => f.includes('pruuf.BBBB'))).toBe(true);
    expect(asked.filter((p) => p.includes('.AAAA'))).toEqual([]);
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
