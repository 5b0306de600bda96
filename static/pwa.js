// The installable app: registers the service worker (static/sw.js, served at /sw.js
// so that its scope is the whole app) on every page, and drives the "notifications
// on this device" button of the notifications settings page (Web Push).
"use strict";

(() => {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});

  const box = document.querySelector(".js-push");
  if (!box) return;
  const show = (cls) => {
    for (const el of box.querySelectorAll("[data-state]")) el.hidden = el.dataset.state !== cls;
  };
  if (!("PushManager" in window) || !("Notification" in window)) {
    show("unsupported");
    return;
  }
  if (Notification.permission === "denied") {
    show("denied");
    return;
  }
  show("ready");

  // applicationServerKey is the server's VAPID public key (RFC 8292), base64url.
  const keyBytes = (b64) => {
    const s = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  };
  const button = box.querySelector(".js-push-on");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      // Asked on the user's click, never on page load.
      if (await Notification.requestPermission() !== "granted") {
        show("denied");
        return;
      }
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
      const form = new URLSearchParams();
      form.set("csrf", box.dataset.csrf);
      form.set("subscription", JSON.stringify(sub));
      const r = await fetch("/settings/push/subscribe", { method: "POST", body: form, credentials: "same-origin" });
      if (!r.ok) throw new Error(String(r.status));
      location.assign("/settings/push?ok=1");
    } catch (_) {
      show("failed");
      button.disabled = false;
    }
  });
})();
