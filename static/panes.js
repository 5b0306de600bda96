// yubin: the reading pane (issue 14 items 1 and 3). On a wide screen with the
// pane layout, a message opens beside the list without a page change: the row's
// own link (which works without this file) is fetched as a fragment and becomes
// the page's URL (the server answers that URL with the list and the message side
// by side while the yubin_wide cookie says the window is wide, so reload, back
// and forward work), and the pane's buttons post their form and show the answer
// in place. Everywhere, the list remembers its scroll position for "back".
(function () {
  "use strict";
  var wideQuery = window.matchMedia("(min-width: 1000px)");
  var remember = function () {
    document.cookie = "yubin_wide=" + (wideQuery.matches ? "1" : "0") + "; path=/; SameSite=Lax";
  };
  remember();
  if (wideQuery.addEventListener) { wideQuery.addEventListener("change", remember); }
  var panes = document.getElementById("panes");
  var form = document.getElementById("listform");
  var key = "yubin-scroll:/mail" + listSearch(location.search);
  var scroller = function () {
    var lp = document.getElementById("listpane");
    return wide() && lp ? lp : document.scrollingElement;
  };

  function listSearch(search) {
    var q = new URLSearchParams(search);
    q.delete("uid"); q.delete("ok");
    return "?" + q.toString();
  }
  function wide() {
    return panes && panes.classList.contains("panes") && wideQuery.matches;
  }

  // Scroll position of the list: kept per list URL for the tab's life.
  if (form && window.sessionStorage) {
    var saved = sessionStorage.getItem(key);
    if (saved !== null && !location.hash) {
      var y = parseInt(saved, 10) || 0;
      requestAnimationFrame(function () { scroller().scrollTop = y; });
    }
    var save = function () { try { sessionStorage.setItem(key, String(scroller().scrollTop)); } catch (x) { /* full */ } };
    window.addEventListener("pagehide", save);
    document.addEventListener("click", function (e) { if (e.target.closest && e.target.closest("a")) { save(); } }, true);
  }

  if (!panes || !window.fetch || !window.DOMParser || !window.history.pushState) { return; }
  var pane = document.getElementById("readpane");
  if (!pane) { return; }
  // The page (path and query) on screen, to tell a real back/forward from a
  // fragment change.
  var here = function () { return location.pathname + location.search; };
  var shown = here();

  function mark(uid) {
    form && form.querySelectorAll(".row").forEach(function (li) {
      var a = li.querySelector(".rowlink");
      var on = a && a.dataset.uid === String(uid);
      li.classList.toggle("open", on);
      if (on) {
        li.classList.remove("unread");
        var dot = li.querySelector(".dot");
        if (dot) { dot.remove(); }
      }
    });
  }

  function show(html) {
    pane.innerHTML = html;
    pane.querySelectorAll(".js-confirm").forEach(function (b) { b.dataset.late = "1"; });
    pane.scrollTop = 0;
    // The HTML body's frame grows to the mail's height, fitted as on a page (app.js).
    if (window.yubinFitFrames) { window.yubinFitFrames(pane); }
    var art = pane.querySelector("article.message");
    mark(art ? art.dataset.uid : "");
    document.body.classList.toggle("reading", !!art);
    document.dispatchEvent(new CustomEvent("yubin:pane")); // organize.js: the skip link's target
  }

  function failed(url) { location.href = url; } // the page itself, as without script

  // A row: the fragment of its message, and the message's URL.
  function openRow(a, push) {
    var u = new URL(a.href, location.href);
    u.searchParams.set("pane", "1");
    fetch(u, { credentials: "same-origin" }).then(function (r) {
      return r.text().then(function (t) { return { ok: r.ok || r.status === 404, text: t }; });
    }).then(function (res) {
      if (!res.ok) { throw new Error("status"); }
      show(res.text);
      if (push) { history.pushState({ pane: 1 }, "", a.href); shown = here(); }
    }).catch(function () { failed(a.href); });
  }

  // A whole list screen (after an action, back/forward, previous/next): its list
  // and its pane replace ours; the list's scroll position stays.
  function load(url, push, opts) {
    fetch(url, Object.assign({ credentials: "same-origin" }, opts || {})).then(function (r) {
      return r.text().then(function (t) { return { r: r, text: t }; });
    }).then(function (res) {
      var doc = new DOMParser().parseFromString(res.text, "text/html");
      var np = doc.getElementById("readpane"), nl = doc.querySelector("#listform .msglist, #listform .empty");
      if (!np || !nl || !form) { location.href = res.r.url; return; }
      var top = scroller().scrollTop;
      var cur = form.querySelector(".msglist, .empty");
      if (cur) { cur.replaceWith(document.importNode(nl, true)); }
      ["#listform .range", "#listform .pager"].forEach(function (sel) {
        var a = document.querySelector(sel), b = doc.querySelector(sel);
        if (a && b) { a.replaceWith(document.importNode(b, true)); }
      });
      document.querySelectorAll("main.main > .flash:not(#livebar)").forEach(function (f) { f.remove(); });
      var main = document.querySelector("main.main"), anchor = document.getElementById("livebar");
      doc.querySelectorAll("main.main > .flash:not(#livebar)").forEach(function (f) {
        main.insertBefore(document.importNode(f, true), anchor ? anchor.nextSibling : main.firstChild);
      });
      show(np.innerHTML);
      scroller().scrollTop = top;
      var final = new URL(res.r.url);
      final.searchParams.delete("ok");
      if (push) { history.pushState({ pane: 1 }, "", final); shown = here(); }
    }).catch(function () { failed(url); });
  }

  document.addEventListener("click", function (e) {
    if (!wide() || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
    var a = e.target.closest && e.target.closest("a");
    if (!a) { return; }
    if (a.classList.contains("rowlink") && form && form.contains(a)) {
      var u = new URL(a.href, location.href);
      if (u.pathname !== "/msg" || u.searchParams.get("f") !== form.dataset.mailbox) { return; } // another folder's result
      e.preventDefault();
      openRow(a, true);
    } else if (a.classList.contains("js-pane") && pane.contains(a)) {
      e.preventDefault();
      load(a.href, true);
    }
  });

  // Late buttons that cannot be undone ask first (app.js asks for the first page's).
  pane.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".js-confirm[data-late]");
    if (!b) { return; }
    var msg = document.documentElement.lang === "ja" ? "元に戻せません。よろしいですか？" : "This cannot be undone. Continue?";
    if (!window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  });

  // The pane's action form (and the bottom bar's buttons that belong to it).
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!wide() || e.defaultPrevented || !f.classList.contains("msgactions") || !pane.contains(f)) { return; }
    e.preventDefault();
    var body = new FormData(f);
    if (e.submitter && e.submitter.name) { body.append(e.submitter.name, e.submitter.value); }
    load(f.getAttribute("action"), true, { method: "POST", body: new URLSearchParams(body) });
  });

  // Following an in-page link (the skip link's #msglist) also fires popstate:
  // only a change of the page itself (path or query) reloads the list, else the
  // link's target would be replaced under the focus.
  window.addEventListener("popstate", function () {
    if (!wide() || here() === shown) { return; }
    shown = here();
    load(location.href, false);
  });
})();
