// yubin's service worker: it shows the Web Push notifications of new mail that the
// webmail sends while no tab is open (web/push), and opens the mail on a click. It
// caches nothing: mail is private and every page is served no-store.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// A URL of our own origin only: a push payload is ours (it is encrypted for this
// browser by the server), but nothing here trusts it further than that.
function localURL(u) {
  return typeof u === "string" && u.startsWith("/") && !u.startsWith("//") && !u.startsWith("/\\") ? u : "/mail?f=INBOX";
}

self.addEventListener("push", (event) => {
  let p = {};
  try {
    p = event.data ? event.data.json() : {};
  } catch (_) {
    p = {};
  }
  const title = typeof p.title === "string" && p.title ? p.title : "yubin";
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof p.body === "string" ? p.body : "",
    tag: typeof p.tag === "string" && p.tag ? p.tag : "yubin-mail",
    renotify: true,
    icon: "/static/icon-192.png",
    data: { url: localURL(p.url) },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(localURL(event.notification.data && event.notification.data.url), self.location.origin).href;
  event.waitUntil((async () => {
    const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const tab of tabs) {
      if (new URL(tab.url).origin === self.location.origin && "focus" in tab) {
        await tab.focus();
        return tab.navigate(url);
      }
    }
    return self.clients.openWindow(url);
  })());
});
