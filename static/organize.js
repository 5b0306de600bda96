// yubin: organizing mail (issue 14 item 6). Every feature here only adds to forms
// that work without it: the status line becomes a toast, shift-click ticks a range,
// "select all N in this folder" appears when the page is ticked, rows drag onto
// folders (the list form's own Move), and the folder list folds into a tree.
(function () {
  "use strict";
  var form = document.getElementById("listform");

  // On a list the skip link goes straight to the messages: after it, one Tab
  // reaches the first row. With a message open in the reading pane it goes to the
  // message instead (the pane opens without a page load: panes.js says so with
  // yubin:pane). Both targets carry their id and tabindex=-1 in the markup, so a
  // list replaced by a refresh keeps being the target.
  var skip = document.querySelector("a.skip");
  var skipMain = skip && skip.textContent;
  var skipTo = function () {
    var list = document.getElementById("msglist"), pane = document.getElementById("readpane");
    if (!skip || !skip.getAttribute("data-list")) { return; }
    if (pane && pane.querySelector("article.message")) {
      skip.href = "#readpane";
      skip.textContent = skipMain;
    } else if (list) {
      skip.href = "#msglist";
      skip.textContent = skip.getAttribute("data-list");
    } else {
      skip.href = "#main";
      skip.textContent = skipMain;
    }
  };
  skipTo();
  document.addEventListener("yubin:pane", skipTo);

  // The status line ("3 messages moved to Archive · Undo") floats for ~10 s, longer
  // while the pointer or focus is on it, then leaves. An action in the reading pane
  // brings its status line without a page load (panes.js, then yubin:pane).
  var toast = function () {
    var status = document.getElementById("status");
    if (!status || status.classList.contains("toast")) { return; }
    status.classList.add("toast");
    var left = 10000, timer = null, since = 0;
    var go = function () { status.classList.add("gone"); setTimeout(function () { status.hidden = true; }, 300); };
    var start = function () { since = Date.now(); timer = setTimeout(go, left); };
    var pause = function () { if (timer) { clearTimeout(timer); timer = null; left = Math.max(2000, left - (Date.now() - since)); } };
    status.addEventListener("mouseenter", pause);
    status.addEventListener("focusin", pause);
    status.addEventListener("mouseleave", start);
    status.addEventListener("focusout", function (e) { if (!status.contains(e.relatedTarget)) { start(); } });
    start();
  };
  toast();
  document.addEventListener("yubin:pane", toast);

  if (form) {
    var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll('.msglist input[name="uid"]')); };
    var all = form.querySelector(".js-selall");
    var bar = document.getElementById("selallbar");
    var everything = form.querySelector(".js-everything");
    var sync = function () {
      var bs = boxes(), on = bs.filter(function (b) { return b.checked; }).length;
      if (all) { all.checked = bs.length > 0 && on === bs.length; all.indeterminate = on > 0 && on < bs.length; }
      if (bar) {
        bar.hidden = !(all && all.checked);
        if (bar.hidden && everything) { everything.checked = false; }
      }
      form.querySelectorAll(".row").forEach(function (r) {
        var b = r.querySelector('input[name="uid"]');
        r.classList.toggle("picked", !!(b && b.checked));
      });
    };
    // Shift-click ticks (or unticks) every row between the last one clicked and this.
    var last = null;
    form.addEventListener("click", function (e) {
      var b = e.target;
      if (!b.matches || !b.matches('.msglist input[name="uid"]')) { return; }
      var bs = boxes();
      if (e.shiftKey && last && bs.indexOf(last) >= 0) {
        var i = bs.indexOf(last), j = bs.indexOf(b);
        bs.slice(Math.min(i, j), Math.max(i, j) + 1).forEach(function (x) { x.checked = b.checked; });
      }
      last = b;
    });
    form.addEventListener("change", function (e) {
      if (e.target === all) {
        boxes().forEach(function (b) { b.checked = all.checked; });
      }
      sync();
    });
    sync();

    // Drag rows onto a folder in the folder list: the ticked rows, or the one
    // dragged when it is not ticked. The drop posts the form's own Move.
    var move = form.querySelector('button[name="action"][value="move"]');
    var dest = form.querySelector('select[name="dest"]');
    var dragging = false;
    form.addEventListener("dragstart", function (e) {
      var row = e.target.closest && e.target.closest(".row");
      if (!row || !move || !dest) { return; }
      var b = row.querySelector('input[name="uid"]');
      if (b && !b.checked) {
        boxes().forEach(function (x) { x.checked = false; });
        b.checked = true;
        sync();
      }
      var n = boxes().filter(function (x) { return x.checked; }).length;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", String(n));
      dragging = true;
      document.body.classList.add("dragging");
    });
    form.addEventListener("dragend", function () { dragging = false; document.body.classList.remove("dragging"); });
    document.querySelectorAll(".folders li[data-folder]").forEach(function (li) {
      var name = li.getAttribute("data-folder");
      if (!li.querySelector("a.folder") || li.classList.contains("current")) { return; }
      li.addEventListener("dragover", function (e) {
        if (!dragging) { return; }
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        li.classList.add("droptarget");
      });
      li.addEventListener("dragleave", function () { li.classList.remove("droptarget"); });
      li.addEventListener("drop", function (e) {
        if (!dragging) { return; }
        e.preventDefault();
        li.classList.remove("droptarget");
        var opt = Array.prototype.find.call(dest.options, function (o) { return o.value === name; });
        if (!opt) { opt = new Option(name, name); dest.add(opt); }
        dest.value = name;
        if (form.requestSubmit) { form.requestSubmit(move); } else { move.click(); }
      });
    });
  }

  // The folder list as a tree: a folder with folders inside gets a button that
  // folds them away; what is folded is remembered in this browser.
  var tree = document.querySelector(".folders");
  if (tree) {
    var key = "yubin.folded", folded = {};
    try { folded = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (x) { folded = {}; }
    var items = Array.prototype.slice.call(tree.querySelectorAll("li[data-folder]"));
    var depth = function (li) { return parseInt(li.getAttribute("data-depth") || "0", 10); };
    var apply = function () {
      var hideBelow = Infinity;
      items.forEach(function (li) {
        var d = depth(li);
        if (d <= hideBelow) { hideBelow = Infinity; }
        li.hidden = d > hideBelow;
        if (!li.hidden && folded[li.getAttribute("data-folder")] && hideBelow === Infinity) { hideBelow = d; }
      });
      tree.querySelectorAll(".fold").forEach(function (b) {
        b.setAttribute("aria-expanded", folded[b.getAttribute("data-for")] ? "false" : "true");
      });
    };
    items.forEach(function (li, i) {
      var next = items[i + 1];
      if (!next || depth(next) <= depth(li)) { return; }
      var name = li.getAttribute("data-folder");
      var label = (li.querySelector(".fname") || li).textContent.trim();
      var b = document.createElement("button");
      b.type = "button";
      b.className = "fold";
      b.setAttribute("data-for", name);
      b.setAttribute("aria-label", (tree.getAttribute("data-toggle") || "%s").replace("%s", label));
      b.addEventListener("click", function () {
        if (folded[name]) { delete folded[name]; } else { folded[name] = true; }
        try { localStorage.setItem(key, JSON.stringify(folded)); } catch (x) { /* private mode */ }
        apply();
      });
      li.classList.add("parent");
      li.insertBefore(b, li.firstChild);
    });
    // The current folder is never folded out of sight.
    var cur = tree.querySelector("li.current");
    if (cur) {
      var d = depth(cur);
      for (var i = items.indexOf(cur) - 1; i >= 0 && d > 0; i--) {
        if (depth(items[i]) < d) { delete folded[items[i].getAttribute("data-folder")]; d = depth(items[i]); }
      }
    }
    apply();
  }
})();
