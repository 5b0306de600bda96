// yubin: address autocomplete for the compose form's To, Cc and Bcc, from the
// contacts and collected addresses (/contacts/suggest). Keyboard first: ↓/↑ move,
// Enter or Tab take the suggestion, Escape closes. Nothing is looked up while an
// IME is composing (Japanese input): only the committed text is a query.
(function () {
  "use strict";
  var form = document.querySelector("form.composer");
  if (!form || !window.fetch) { return; }
  var ja = document.documentElement.lang === "ja";
  var seq = 0;

  function attach(input) {
    var list = document.createElement("ul");
    var id = "suggest-" + input.name;
    list.id = id;
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", ja ? "候補" : "Suggestions");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");
    var items = [], active = -1, composing = false, timer = 0;

    // The entry being typed: from the last separator before the caret.
    function token() {
      var v = input.value, end = input.selectionStart == null ? v.length : input.selectionStart;
      var start = Math.max(v.lastIndexOf(",", end - 1), v.lastIndexOf(";", end - 1), v.lastIndexOf("、", end - 1)) + 1;
      return { start: start, end: end, text: v.slice(start, end).trim() };
    }
    function close() {
      list.hidden = true; list.textContent = ""; items = []; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      if (i >= 0) { input.setAttribute("aria-activedescendant", list.children[i].id); } else { input.removeAttribute("aria-activedescendant"); }
    }
    function pick(i) {
      var s = items[i];
      if (!s) { return; }
      var t = token(), v = input.value;
      var text = s.group ? s.members.join(", ") : (s.name ? formatName(s.name) + " <" + s.email + ">" : s.email);
      var before = v.slice(0, t.start).replace(/\s*$/, "");
      var after = v.slice(t.end).replace(/^[^,;、]*[,;、]?\s*/, "");
      input.value = (before ? before + " " : "") + text + ", " + after;
      var caret = input.value.length - after.length;
      input.setSelectionRange(caret, caret);
      close();
    }
    function formatName(n) { return /[()<>\[\]:;@\\,."]/.test(n) ? '"' + n.replace(/(["\\])/g, "\\$1") + '"' : n; }
    function show(data) {
      list.textContent = ""; items = data || [];
      if (!items.length) { close(); return; }
      items.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        var name = document.createElement("span");
        name.className = "sname";
        name.textContent = s.group ? (ja ? "グループ: " : "Group: ") + s.group + " (" + s.members.length + ")" : (s.name || s.email);
        li.appendChild(name);
        if (!s.group) {
          var mail = document.createElement("span");
          mail.className = "semail";
          mail.textContent = (s.reading ? s.reading + " · " : "") + s.email;
          li.appendChild(mail);
        }
        if (s.book === "collected") { li.className = "collected"; }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(0);
    }
    function lookup() {
      if (composing) { return; }
      var q = token().text;
      if (!q) { close(); return; }
      var mine = ++seq;
      fetch("/contacts/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) { if (mine === seq && !composing && document.activeElement === input) { show(data); } })
        .catch(close);
    }
    input.addEventListener("compositionstart", function () { composing = true; clearTimeout(timer); });
    input.addEventListener("compositionend", function () { composing = false; clearTimeout(timer); timer = setTimeout(lookup, 120); });
    input.addEventListener("input", function (e) {
      if (composing || e.isComposing) { return; }
      clearTimeout(timer);
      timer = setTimeout(lookup, 120);
    });
    input.addEventListener("keydown", function (e) {
      // keyCode 229: the key went to the IME (Safari ends composition before keydown).
      if (e.isComposing || composing || e.keyCode === 229 || list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
      else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) { e.preventDefault(); pick(active); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  ["to", "cc", "bcc"].forEach(function (n) {
    var el = form.querySelector('input[name="' + n + '"]');
    if (el) { attach(el); }
  });
})();
