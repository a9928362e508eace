// Pruuf's service worker.
// - Offline start: the pages, the CSS and the WASM/JS are kept in a cache named
//   after the build (the server writes BUILD and BUNDLE below when it serves
//   this file, so a deploy installs a new worker and drops the old cache).
//   Pages are network-first (offline, the last ones seen are used). The bundle's
//   files are named after their content (pruuf.<hash>.wasm), so a kept copy can
//   never be stale: they come from the cache first, and a repeat visit fetches
//   only the page. A page always names its own build's files, so new HTML never
//   runs old WASM. Plain names (a development build) stay network-first.
// - Offline check-in: a tap on "I'm OK" that cannot reach the server is kept
//   (IndexedDB) and sent when the network is back (Background Sync where the
//   browser has it; otherwise the page asks on `online`). The server decides the
//   time it received it. A tap kept for over 24 hours is dropped, and the
//   Member told.
// - Web push: shows the alerts the server pushes and opens the right page when
//   one is tapped. A Member's reminder carries an "I'm OK" button that checks in
//   from the notification itself, with the one-day token the reminder brought.
'use strict';

const BUILD = '__PRUUF_BUILD__';
const CACHE = `pruuf-${BUILD}`;
const BUNDLE = '__PRUUF_BUNDLE__'.split(' ');
const SHELL = ['/offline', ...BUNDLE, '/favicon.svg', '/manifest.webmanifest', '/icons/icon-192.png'];
// cargo-leptos's content hash: 22 characters of URL-safe base64 between dots.
const CONTENT_NAMED = /\.[A-Za-z0-9_-]{22}\.[a-z]+$/;
const CHECK_IN = '/api/check_in';
const QUEUE_DB = 'pruuf-offline';
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
const QUEUED_WORDS = 'You\u2019re offline \u2014 we\u2019ll send it as soon as you\u2019re back.';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('pruuf-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isPage(request) {
  return request.mode === 'navigate' || (request.headers.get('accept') || '').includes('text/html');
}

// Network first; a good answer refreshes the cache; offline, the cached copy.
function networkFirst(request, fallback) {
  return fetch(request)
    .then((response) => {
      if (response.ok && response.type === 'basic') {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    })
    .catch(() =>
      caches.match(request, { ignoreSearch: isPage(request) }).then((hit) => hit || (fallback ? caches.match(fallback) : undefined)).then(
        (hit) => hit || Response.error(),
      ),
    );
}

function cacheFirst(request) {
  return caches.match(request).then(
    (hit) =>
      hit ||
      fetch(request).then((response) => {
        if (response.ok && response.type === 'basic') {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }),
  );
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === CHECK_IN) {
    event.respondWith(checkInOrQueue(request));
    return;
  }
  if (request.method !== 'GET' || url.pathname.startsWith('/api/') || url.pathname.startsWith('/__test/')) return;
  // Admin pages (other people's details) are never kept on the device.
  if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) return;
  if (isPage(request)) {
    event.respondWith(networkFirst(request, '/offline'));
  } else if (url.pathname.startsWith('/pkg/')) {
    event.respondWith(CONTENT_NAMED.test(url.pathname) ? cacheFirst(request) : networkFirst(request));
  } else if (url.pathname.startsWith('/icons/') || url.pathname === '/favicon.svg' || url.pathname === '/manifest.webmanifest') {
    event.respondWith(cacheFirst(request));
  }
});

// ---- The offline check-in queue (IndexedDB) ---------------------------------

function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(QUEUE_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('taps', { keyPath: 'id', autoIncrement: true });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function store(mode, work) {
  return db().then(
    (d) =>
      new Promise((resolve, reject) => {
        const tx = d.transaction('taps', mode);
        const result = work(tx.objectStore('taps'));
        tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
        tx.onerror = () => reject(tx.error);
      }),
  );
}

const queued = () => store('readonly', (s) => s.getAll());

function tell(message) {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => windows.forEach((w) => w.postMessage(message)));
}

// Whether an answer settles a tap: a check-in, or a reason it can't be (like a
// signed-out browser). A busy or failing server (5xx), a rate limit (429) or a
// timeout (408) is no answer, and no answer at all keeps the tap too.
function settles(response) {
  const s = response.status;
  return !(s >= 500 || s === 429 || s === 408);
}

// Keeps a tap for later and answers with the words the page shows (as the server
// function's own error, so the page shows it).
function keep(copy) {
  return copy
    .text()
    .then((body) =>
      store('readwrite', (s) =>
        s.add({ body, type: copy.headers.get('content-type') || 'application/x-www-form-urlencoded', at: Date.now() }),
      ),
    )
    .then(() => (self.registration.sync ? self.registration.sync.register('pruuf-check-in').catch(() => undefined) : undefined))
    .then(() => tell({ type: 'pruuf-check-in-queued' }))
    .then(
      () =>
        new Response(JSON.stringify({ Limited: QUEUED_WORDS }), {
          status: 503,
          headers: { 'Content-Type': 'application/json' },
        }),
    );
}

// Sends the tap; if the network is down or the server gives no definite answer,
// keeps it.
function checkInOrQueue(request) {
  const copy = request.clone();
  return fetch(request).then(
    (response) => (settles(response) ? response : keep(copy)),
    () => keep(copy),
  );
}

// Sends every kept tap, oldest first. One older than 24 hours is dropped, and
// the Member told; one the network still refuses stays for the next try.
function flush() {
  return queued().then((taps) =>
    taps.reduce(
      (chain, tap) =>
        chain.then(() => {
          if (Date.now() - tap.at > MAX_AGE_MS) {
            return store('readwrite', (s) => s.delete(tap.id)).then(() =>
              tell({ type: 'pruuf-check-in-dropped' }),
            );
          }
          return fetch(CHECK_IN, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': tap.type, Accept: 'application/json' },
            body: tap.body,
          }).then(
            // Only a definite answer settles it; anything else keeps it for the next try.
            (response) =>
              settles(response)
                ? store('readwrite', (s) => s.delete(tap.id)).then(() => tell({ type: 'pruuf-check-in-sent' }))
                : undefined,
            () => undefined,
          );
        }),
      Promise.resolve(),
    ),
  );
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'pruuf-check-in') event.waitUntil(flush());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'pruuf-flush') event.waitUntil(flush());
});

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { body: event.data ? event.data.text() : '' };
  }
  const urgent = data.kind === 'missed' || data.kind === 'missed_again';
  const reminder = data.kind === 'reminder' && data.token && data.checkin;
  const answer = urgent && data.answer && data.delivery && data.signature;
  event.waitUntil(
    self.registration.showNotification(data.title || 'Pruuf', {
      body: data.body || '',
      tag: reminder ? 'pruuf-reminder' : data.url || 'pruuf',
      renotify: true,
      requireInteraction: urgent || !!reminder,
      icon: '/favicon.svg',
      lang: 'en',
      actions: reminder
        ? [{ action: 'ok', title: 'I\u2019m OK' }]
        : answer
          ? [{ action: 'onit', title: 'I\u2019m on it' }]
          : [],
      data: {
        url: data.url || '/home',
        token: data.token,
        checkin: data.checkin,
        answer: data.answer,
        delivery: data.delivery,
        signature: data.signature,
      },
    }),
  );
});

// "I'm OK" on a reminder: check in without opening the app, then say so. If that
// fails (offline, an old reminder), open Pruuf so the Member can tap the button.
function checkInFromReminder(data) {
  return fetch(data.checkin, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ token: data.token }),
  })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((words) =>
      self.registration.showNotification('Pruuf', { body: String(words), tag: 'pruuf-reminder', icon: '/favicon.svg', lang: 'en' }),
    )
    .catch(() => self.clients.openWindow(new URL('/home', self.location.origin).href));
}

// "I'm on it" on an alert: answer without opening the app (signed with the
// alert's delivery, like the email's link), then say what happened. If that
// fails, open the alert's answer page, where the button works too.
function answerFromAlert(data) {
  return fetch(data.answer, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ delivery: data.delivery, t: data.signature }),
  })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((words) => self.registration.showNotification('Pruuf', { body: String(words), icon: '/favicon.svg', lang: 'en' }))
    .catch(() =>
      self.clients.openWindow(
        new URL(`/answer/${encodeURIComponent(data.delivery)}?t=${encodeURIComponent(data.signature)}`, self.location.origin).href,
      ),
    );
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  if (event.action === 'ok' && data.token && data.checkin) {
    event.waitUntil(checkInFromReminder(data));
    return;
  }
  if (event.action === 'onit' && data.answer && data.delivery && data.signature) {
    event.waitUntil(answerFromAlert(data));
    return;
  }
  const target = new URL((event.notification.data && event.notification.data.url) || '/home', self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (w.url === target && 'focus' in w) return w.focus();
      }
      return self.clients.openWindow(target);
    }),
  );
});
