// Pruuf's service worker: shows the alerts the server pushes (RFC 8030 web push,
// decrypted by the browser) and opens the right page when one is tapped.
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
  event.waitUntil(
    self.registration.showNotification(data.title || 'Pruuf', {
      body: data.body || '',
      tag: data.url || 'pruuf',
      renotify: true,
      requireInteraction: urgent,
      icon: '/favicon.svg',
      lang: 'en',
      data: { url: data.url || '/home' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
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
