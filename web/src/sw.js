// Keeps the check page (c.html) and the files it needs, so that a QR code can be
// checked without internet after the first visit. Network first, so that a new
// version is used as soon as it is online; every other request of the site
// passes by untouched. The keys are kept by the page itself (localStorage).
const cacheName = 'check-page-v1';
const files = ['/c.html', '/js/check.js', '/js/qrcheck.js', '/js/i18n.js', '/js/i18n/ms.js', '/js/i18n/en.js',
  '/css/site.css', '/favicon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(cacheName).then((c) => c.addAll(files)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== cacheName).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || !files.includes(url.pathname)) return;
  event.respondWith((async () => {
    const cache = await caches.open(cacheName);
    try {
      const resp = await fetch(event.request, { cache: 'no-cache' });
      if (resp.ok) await cache.put(url.pathname, resp.clone());
      return resp;
    } catch (err) {
      const kept = await cache.match(url.pathname);
      if (kept) return kept;
      throw err;
    }
  })());
});
