// Pruuf's service worker: shows the alerts the server pushes (RFC 8030 web push,
// decrypted by the browser) and opens the right page when one is tapped. A
// Member's reminder carries an "I'm OK" button that checks in from the
// notification itself, with the one-day token the reminder brought.
// The PWA issue adds offline caching here.
'use strict';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (_) {
    data = { body: event.data ? event.data.text() : '' };
  }
  const urgent = data.kind === 'missed' || data.kind === 'missed_again';
  const reminder = data.kind === 'reminder' && data.token && data.checkin;
  event.waitUntil(
    self.registration.showNotification(data.title || 'Pruuf', {
      body: data.body || '',
      tag: reminder ? 'pruuf-reminder' : data.url || 'pruuf',
      renotify: true,
      requireInteraction: urgent || !!reminder,
      icon: '/favicon.svg',
      lang: 'en',
      actions: reminder ? [{ action: 'ok', title: 'I\u2019m OK' }] : [],
      data: { url: data.url || '/home', token: data.token, checkin: data.checkin },
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

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  if (event.action === 'ok' && data.token && data.checkin) {
    event.waitUntil(checkInFromReminder(data));
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
