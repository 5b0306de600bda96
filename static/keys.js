// yubin: keyboard shortcuts (issue 14 item 8); "?" lists them (the dialog is in
// the page, translated). Shortcuts never fire while the user types in a field or
// composes with an input method (IME): the key that ends a kana conversion must
// not also archive a message.
(function () {
  "use strict";
  var help = document.getElementById("keyhelp");
  var form = document.getElementById("listform");
  var cursor = -1;
  var pendingG = 0;

  var typing = function (e) {
    var t = e.target;
    if (e.isComposing || e.keyCode === 229) { return true; }
    if (!t || !t.tagName) { return false; }
    return t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName);
  };
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll(".msglist .row")); };
  var setCursor = function (i) {
    var rs = rows();
    if (!rs.length) { return; }
    cursor = Math.max(0, Math.min(rs.length - 1, i));
    rs.forEach(function (r, j) { r.classList.toggle("cursor", j === cursor); });
    var link = rs[cursor].querySelector(".rowlink");
    if (link) { link.focus(); }
  };
  // The message open in the reading pane beside the list (panes.js), and its row.
  var inPane = function () { return document.querySelector("#readpane article.message"); };
  var openRow = function () { return inPane() && document.querySelector(".msglist .row.open"); };
  // The row the user is on: the one open in the pane, the focused one, or the cursor.
  var current = function () {
    var rs = rows();
    var f = openRow() || (document.activeElement && document.activeElement.closest && document.activeElement.closest(".row"));
    if (f && rs.indexOf(f) >= 0) { cursor = rs.indexOf(f); }
    return cursor >= 0 ? rs[cursor] : null;
  };
  // j/k with a message in the pane: the next or previous row opens there (its
  // link, which panes.js opens in place), past the page's end the pane's own
  // next/previous link — as j/k go to the next message on the message's page.
  var step = function (by) {
    var rs = rows(), i = rs.indexOf(openRow()), to = rs[i + by];
    if (i >= 0 && to) {
      setCursor(i + by);
      to.querySelector(".rowlink").click();
      return true;
    }
    return press('#readpane a[rel="' + (by > 0 ? "next" : "prev") + '"]');
  };
  // act presses the page's own button for an action: the list's toolbar for the
  // ticked rows or else the row the cursor is on; without either, the open
  // message's (its page, or the reading pane beside the list).
  var act = function (value) {
    var alt = { flag: "unflag", unflag: "flag" }[value];
    var find = function (scope) {
      if (!scope) { return null; }
      return scope.querySelector('button[name="action"][value="' + value + '"]') ||
        (alt ? scope.querySelector('button[name="action"][value="' + alt + '"]') : null);
    };
    var bar = form && form.querySelector(".toolbar");
    var ticked = form && form.querySelector('.msglist input[name="uid"]:checked');
    // Nothing ticked and a message in the pane: its own buttons, so that after
    // archive or delete the next message opens there, as on the message's page.
    var pb = !ticked && inPane() && find(inPane().querySelector(".msgbar"));
    if (pb) { pb.click(); return; }
    if (bar && ticked) {
      var b = find(bar);
      if (b) { b.click(); }
      return;
    }
    var r = current(), box = r && r.querySelector('input[name="uid"]');
    if (bar && box) {
      box.checked = true;
      var tb = find(bar);
      if (tb) { tb.click(); }
      return;
    }
    var mb = find(document.querySelector(".msgbar"));
    if (mb) { mb.click(); }
  };
  var press = function (sel) {
    var el = document.querySelector(sel);
    if (el) { el.click(); return true; }
    return false;
  };
  var goFolder = function (use) {
    var li = document.querySelector('.folders li[data-use="' + use + '"] a.folder');
    if (li) { location.href = li.getAttribute("href"); }
  };
  var showHelp = function () {
    if (!help) { return; }
    if (help.open) { help.close(); return; }
    if (help.showModal) { help.showModal(); } else { help.setAttribute("open", ""); }
  };

  var hint = document.querySelector(".js-keyhelp");
  if (hint) { hint.addEventListener("click", showHelp); }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    if (help && help.open && e.key !== "?") { return; } // the dialog handles Escape itself
    var k = e.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      var to = { i: "inbox", s: "sent", d: "drafts" }[k];
      if (to) { e.preventDefault(); goFolder(to); }
      return;
    }
    pendingG = 0;
    var handled = true;
    switch (k) {
      case "?": showHelp(); break;
      case "g": pendingG = Date.now(); break;
      case "c": location.href = "/compose"; break;
      case "/": {
        var q = document.querySelector('.search input[type="search"]');
        if (q) { q.focus(); q.select(); } else { location.href = "/mail?f=INBOX"; }
        break;
      }
      // In the list, j/k move the cursor; on a message alone, to the next or
      // previous message.
      case "j": if (openRow()) { handled = step(1); } else if (rows().length) { setCursor(cursor + 1); } else { handled = press('[data-key="n"]'); } break;
      case "k": if (openRow()) { handled = step(-1); } else if (rows().length) { setCursor(cursor < 0 ? 0 : cursor - 1); } else { handled = press('[data-key="p"]'); } break;
      case "o":
      case "Enter": {
        var r = form && current();
        var link = r && r.querySelector(".rowlink");
        // Enter on a focused link is the browser's own; o always opens.
        if (link && (k === "o" || document.activeElement !== link)) { link.click(); } else { handled = false; }
        break;
      }
      case "x": {
        var row = current(), box = row && row.querySelector('input[name="uid"]');
        if (box) { box.click(); } else { handled = false; }
        break;
      }
      case "u": handled = press(".msgbar a.back"); break;
      case "e": act("archive"); break;
      case "#": act("delete"); break;
      case "s": {
        var rr = form ? current() : null;
        act(rr && rr.classList.contains("flagged") ? "unflag" : "flag");
        break;
      }
      case "I": act("read"); break;
      case "U": act("unread"); break;
      case "r": case "a": case "f": case "n": case "p":
        // Reply, reply all, forward; next and previous in a conversation: the
        // page's own links carry data-key.
        handled = press('[data-key="' + k + '"]');
        break;
      default: handled = false;
    }
    if (handled) { e.preventDefault(); }
  });
})();
