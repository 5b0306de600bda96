// yubin: small enhancements only. Every page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("listform");
  var all = document.querySelector(".js-selall");
  if (all && form) {
    all.addEventListener("change", function () {
      form.querySelectorAll('input[name="uid"]').forEach(function (b) { b.checked = all.checked; });
    });
  }
  // Confirm actions that cannot be undone.
  document.querySelectorAll(".js-confirm").forEach(function (b) {
    b.addEventListener("click", function (e) {
      var msg = document.documentElement.lang === "ja" ? "元に戻せません。よろしいですか？" : "This cannot be undone. Continue?";
      if (!window.confirm(b.dataset.confirm || msg)) { e.preventDefault(); }
    });
  });
  // Keyboard shortcuts are static/keys.js.

  // The HTML body's frame grows to the mail's height, so the page scrolls and the
  // frame never does. The frame keeps our origin but runs nothing (no allow-scripts,
  // script-src 'none'): its document is measured from here. A document is never
  // shorter than its view (the root's scrollHeight counts the view, and a mail's own
  // "html, body { height: 100% }" fills it), so the view is collapsed while measuring;
  // the frame's box keeps its height meanwhile (as padding), so the page around it
  // does not shrink and lose its scroll position. The reading pane (panes.js) fits the
  // frames it shows with window.yubinFitFrames.
  var fitFrame = function (f) {
    var d;
    try { d = f.contentDocument; } catch (x) { return; }
    if (!d || !d.documentElement || !d.body || d.URL === "about:blank") { return; }
    f.classList.add("fitted"); // no min-height from here on
    f.style.paddingBottom = f.getBoundingClientRect().height + "px";
    f.style.height = "0";
    var h = Math.max(d.documentElement.scrollHeight, d.body.scrollHeight);
    f.style.paddingBottom = "";
    f.style.height = Math.ceil(h) + 2 + "px"; // + the frame's borders (border-box)
  };
  var fitFrames = function (root) {
    root.querySelectorAll("iframe.htmlbody").forEach(function (f) {
      var fit = function () { fitFrame(f); };
      var watch = function () {
        fit();
        var d = f.contentDocument;
        if (d && window.ResizeObserver) { new ResizeObserver(fit).observe(d.documentElement); }
        if (d) { d.querySelectorAll("img").forEach(function (i) { i.addEventListener("load", fit); }); }
      };
      f.addEventListener("load", watch);
      var d = f.contentDocument; // loaded before this ran: no load event to come
      if (d && d.URL !== "about:blank" && d.readyState === "complete") { watch(); }
    });
  };
  window.yubinFitFrames = fitFrames;
  fitFrames(document);

  // Live updates: the inbox's counts arrive over /events (server-sent events). New
  // mail refreshes the inbox list in place when that cannot disturb the user, else a
  // quiet bar offers it. One stream per session: a tab that loses it to another tab
  // ("bye") takes it back when it becomes visible again.
  var bar = document.getElementById("livebar");
  if (bar && window.EventSource && window.fetch && window.DOMParser) {
    var es = null, known = -1;
    var badge = function (mailbox, unseen) {
      var link = document.querySelector('.folders a.folder[href="/mail?f=' + encodeURIComponent(mailbox) + '"]');
      if (!link) { return; }
      var c = link.querySelector(".count");
      if (unseen > 0) {
        if (!c) { c = document.createElement("span"); c.className = "count"; link.appendChild(c); }
        c.textContent = String(unseen);
      } else if (c) { c.remove(); }
    };
    var refresh = function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var cur = form.querySelector(".msglist, .empty"), next = doc.querySelector("#listform .msglist, #listform .empty");
        var range = form.querySelector(".range"), nrange = doc.querySelector("#listform .range");
        if (!cur || !next) { throw new Error("no list"); }
        cur.replaceWith(document.importNode(next, true));
        if (range && nrange) { range.textContent = nrange.textContent; }
      }).catch(function () { bar.hidden = false; });
    };
    var arrived = function () {
      var quiet = form && form.dataset.mailbox === "INBOX" && form.dataset.page === "0" && !form.dataset.query &&
        !form.querySelector('input[name="uid"]:checked') && !(all && all.checked);
      if (quiet) { refresh(); } else { bar.hidden = false; }
    };
    var open = function () {
      if (es) { return; }
      es = new EventSource("/events");
      es.addEventListener("counts", function (e) {
        var c;
        try { c = JSON.parse(e.data); } catch (x) { return; }
        document.documentElement.setAttribute("data-live", "on"); // the stream is up
        badge(c.mailbox, c.unseen);
        // static/live.js: the tab's title, favicon and notifications.
        document.dispatchEvent(new CustomEvent("yubin:counts", { detail: { counts: c, known: known } }));
        if (known >= 0 && c.messages > known) { arrived(); }
        known = c.messages;
      });
      es.addEventListener("folders", function (e) {
        var fs;
        try { fs = JSON.parse(e.data); } catch (x) { return; }
        document.dispatchEvent(new CustomEvent("yubin:folders", { detail: fs }));
      });
      es.addEventListener("bye", function () { es.close(); es = null; });
      es.addEventListener("error", function () {
        if (es && es.readyState === 2) { es = null; } // refused (signed out): stay closed
      });
    };
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { open(); } });
    open();
  }
})();
