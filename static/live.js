// yubin: live and aware (issue 14 item 7). app.js owns the live stream and tells
// this file what it hears ("yubin:counts", "yubin:folders"); this keeps the tab's
// title and icon showing the inbox's unread count, every folder's count current,
// notifies of new mail while the tab is hidden (once the user allowed it with a
// click), and tells the server the browser's time zone.
(function () {
  "use strict";
  // The browser's time zone, for times shown in the user's zone when the settings
  // name none (handlers/zone.go reads the cookie).
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("tz=" + encodeURIComponent(tz)) < 0) {
      document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (x) { /* no Intl: the server's zone */ }

  var base = document.title.replace(/^\(\d+\) /, "");
  var icon = document.querySelector('link[rel="icon"]');
  var plainIcon = icon ? icon.href : "";
  var setUnread = function (n) {
    document.title = n > 0 ? "(" + n + ") " + base : base;
    if (!icon) { return; }
    if (n <= 0) { icon.href = plainIcon; return; }
    // A favicon badge: the count on a red disc, drawn here (no image to fetch).
    var c = document.createElement("canvas");
    c.width = c.height = 32;
    var g = c.getContext("2d");
    if (!g) { return; }
    g.fillStyle = "#b8322a";
    g.beginPath();
    g.arc(16, 16, 16, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = "#fff";
    g.font = "bold " + (n > 99 ? 13 : 18) + "px sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(n > 999 ? "999+" : String(n), 16, 17);
    icon.href = c.toDataURL("image/png");
  };
  var m = document.title.match(/^\((\d+)\) /);
  if (m) { setUnread(parseInt(m[1], 10)); }

  // Each folder's unread count beside its name.
  var badge = function (mailbox, unseen) {
    var li = Array.prototype.find.call(document.querySelectorAll(".folders li[data-folder]"), function (x) {
      return x.getAttribute("data-folder") === mailbox;
    });
    var link = li && li.querySelector("a.folder");
    if (!link) { return; }
    var c = link.querySelector(".count");
    if (unseen > 0) {
      if (!c) { c = document.createElement("span"); c.className = "count"; link.appendChild(c); }
      c.textContent = String(unseen);
    } else if (c) { c.remove(); }
  };
  document.addEventListener("yubin:folders", function (e) {
    (e.detail || []).forEach(function (f) { badge(f.mailbox, f.unseen); });
  });

  // Notifications of new mail while the tab is hidden. The permission is asked only
  // from the button's click (browsers refuse or penalise asking without a gesture).
  var askP = document.querySelector(".notifyme");
  var ask = document.querySelector(".js-notifyme");
  var canNotify = "Notification" in window;
  if (askP && ask && canNotify && Notification.permission === "default") {
    askP.hidden = false;
    ask.addEventListener("click", function () {
      var done = function (p) {
        if (p === "denied") { ask.textContent = ask.getAttribute("data-blocked"); ask.disabled = true; return; }
        askP.hidden = true;
      };
      var r = Notification.requestPermission(done);
      if (r && r.then) { r.then(done); }
    });
  }
  document.addEventListener("yubin:counts", function (e) {
    var c = e.detail.counts, known = e.detail.known;
    if (c.mailbox !== "INBOX") { return; }
    setUnread(c.unseen);
    if (known >= 0 && c.messages > known && document.hidden && canNotify && Notification.permission === "granted") {
      var text = (ask && ask.getAttribute("data-notify")) || "New mail (%d unread)";
      try {
        // One notification per account however many tabs are open: the tag
        // replaces the previous one.
        var n = new Notification(text.replace("%d", String(c.unseen)), { tag: "yubin-new-mail", renotify: false });
        n.onclick = function () { window.focus(); location.href = "/mail?f=INBOX"; n.close(); };
      } catch (x) { /* a browser that only notifies from a service worker */ }
    }
  });
})();
