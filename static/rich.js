// yubin: the compose form's simple rich text (issue 15 item 5). Plain text stays
// the default; the "Rich text" switch (or the setting) swaps the textarea for a
// contenteditable with a small toolbar: bold, italic, bulleted and numbered
// lists, links — nothing more. Images pasted or dropped into it are uploaded into
// the draft at once (like attachments, within the same limit) and shown inline;
// the message carries them as cid: parts.
//
// The editor's HTML goes to the server in the "html" field with rich=1, added to
// every FormData of the form (the "formdata" event: autosave, send, the beacon on
// leaving), images as cid: references. The server sanitizes it to the same
// allow-list and derives the text part itself (web/richtext); the hidden textarea
// is kept in step only for the attachment warning and for a switch back to plain
// text. No shortcut runs while an IME is composing (Japanese input): Ctrl+I there
// is the IME's (katakana), not italic.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var box = document.getElementById("cmp-richbox");
  var editor = document.getElementById("cmp-editor");
  var mode = document.getElementById("cmp-richmode");
  var body = document.getElementById("cmp-body");
  var richField = document.getElementById("cmp-rich");
  var htmlField = document.getElementById("cmp-html");
  if (!form || !box || !editor || !mode || !body || !window.FormData || !document.execCommand) { return; }
  var area = body.closest("label") || body;
  var tools = box.querySelector(".rich-tools");
  var t = function (key) { return box.dataset[key] || ""; };
  var composing = false;
  box.hidden = false;

  // --- Text ⇄ HTML -------------------------------------------------------------
  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  // fromText: each line a <div>; lines starting with ">" a <blockquote> (one
  // level per ">"), so a reply's quote is a quote in the HTML too.
  function fromText(text) {
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    var out = "", i = 0;
    while (i < lines.length) {
      if (/^>/.test(lines[i])) {
        var quoted = [];
        while (i < lines.length && /^>/.test(lines[i])) { quoted.push(lines[i].replace(/^> ?/, "")); i++; }
        out += "<blockquote>" + fromText(quoted.join("\n")) + "</blockquote>";
        continue;
      }
      out += lines[i] === "" ? "<div><br></div>" : "<div>" + esc(lines[i]) + "</div>";
      i++;
    }
    return out;
  }
  // toText: what web/richtext.Text derives on the server, for the switch back
  // and the attachment warning.
  function toText(root) {
    var out = [], line = "", prefix = [], pending = "";
    function flush(force) {
      if (line !== "" || force) { out.push(prefix.join("") + line); }
      line = "";
    }
    function write(s) { if (s) { line += pending + s; pending = ""; } }
    function walk(n) {
      if (n.nodeType === 3) {
        var s = n.data.replace(/[ \t\r\n\f]+/g, " ");
        if (line === "") { s = s.replace(/^ /, ""); }
        write(s.replace(/\u00a0/g, " "));
        return;
      }
      if (n.nodeType !== 1) { return; }
      var tag = n.nodeName;
      if (tag === "BR") { flush(true); return; }
      if (tag === "IMG") { write("[" + (n.alt || "image") + "]"); return; }
      if (tag === "A") {
        kids(n);
        var href = n.getAttribute("href") || "", text = n.textContent.trim();
        if (href && text !== href && "mailto:" + text !== href) { write(" <" + href + ">"); }
        return;
      }
      if (tag === "DIV" || tag === "P") { flush(false); kids(n); flush(false); return; }
      if (tag === "BLOCKQUOTE") { flush(false); prefix.push("> "); kids(n); flush(false); prefix.pop(); return; }
      if (tag === "UL" || tag === "OL") {
        flush(false);
        var num = 0, nested = prefix.some(function (p) { return p !== "> "; });
        prefix.push(nested ? "  " : "");
        Array.prototype.forEach.call(n.childNodes, function (c) {
          if (c.nodeName !== "LI") { walk(c); return; }
          num++; flush(false);
          pending = tag === "OL" ? num + ". " : "- ";
          kids(c); pending = ""; flush(false);
        });
        prefix.pop();
        return;
      }
      kids(n);
    }
    function kids(n) { Array.prototype.forEach.call(n.childNodes, walk); }
    kids(root);
    flush(false);
    return out.map(function (l) { return l.replace(/ +$/, ""); }).join("\n").replace(/^\n+/, "").replace(/\n*$/, "\n");
  }

  // serialize is the editor's HTML as it is posted: images as cid: references.
  function serialize() {
    var copy = editor.cloneNode(true);
    copy.querySelectorAll("img").forEach(function (img) {
      if (img.dataset.cid) {
        img.setAttribute("src", "cid:" + img.dataset.cid);
        img.removeAttribute("data-cid");
      } else {
        img.remove(); // not ours (a pasted remote image): the server would drop it anyway
      }
    });
    return copy.innerHTML;
  }

  // --- The mode switch -------------------------------------------------------
  function show(rich) {
    area.hidden = rich;
    editor.hidden = !rich;
    tools.hidden = !rich;
    richField.value = rich ? "1" : "";
    mode.checked = rich;
  }
  mode.addEventListener("change", function () {
    if (mode.checked) {
      editor.innerHTML = fromText(body.value);
      show(true);
      editor.focus();
    } else {
      body.value = toText(editor);
      show(false);
      body.focus();
    }
    form.dispatchEvent(new Event("input", { bubbles: true })); // the draft is saved in its new form
  });
  if (richField.value === "1") {
    if (htmlField.value) {
      editor.innerHTML = htmlField.value; // sanitized by the server (web/richtext)
    } else {
      editor.innerHTML = fromText(body.value);
    }
    show(true);
    if (form.dataset.focus) { caretToStart(); }
  } else {
    show(false);
  }
  function caretToStart() {
    editor.focus();
    var r = document.createRange();
    r.setStart(editor, 0);
    r.collapse(true);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    editor.scrollTop = 0;
  }

  // Every FormData of the form carries the editor's content.
  form.addEventListener("formdata", function (e) {
    if (richField.value !== "1") { return; }
    e.formData.set("rich", "1");
    e.formData.set("html", serialize());
    e.formData.set("body", toText(editor));
  });
  editor.addEventListener("input", function () { body.value = toText(editor); });

  // --- Toolbar and shortcuts -------------------------------------------------
  try { document.execCommand("styleWithCSS", false, false); } catch (e) { /* old engines */ }
  function run(cmd) {
    editor.focus();
    if (cmd === "createLink") {
      var url = window.prompt(t("tAsk"), "https://");
      if (!url) { return; }
      url = url.trim();
      if (!/^(https?:\/\/\S+|mailto:\S+)$/i.test(url)) {
        if (/^[^\s@:\/]+@[^\s@\/]+$/.test(url)) { url = "mailto:" + url; } else { window.alert(t("tBad")); return; }
      }
      if (window.getSelection().isCollapsed) {
        document.execCommand("insertHTML", false, '<a href="' + esc(url) + '">' + esc(url.replace(/^mailto:/i, "")) + "</a>");
      } else {
        document.execCommand("createLink", false, url);
      }
    } else {
      document.execCommand(cmd, false, null);
    }
    editor.dispatchEvent(new Event("input", { bubbles: true }));
  }
  tools.addEventListener("mousedown", function (e) { if (e.target.closest("button")) { e.preventDefault(); } }); // keep the selection
  tools.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-cmd]");
    if (b) { run(b.dataset.cmd); }
  });
  editor.addEventListener("compositionstart", function () { composing = true; });
  editor.addEventListener("compositionend", function () { composing = false; });
  editor.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) { return; }
    var key = e.key.toLowerCase();
    if (composing || e.isComposing || e.keyCode === 229) {
      // The IME's key (229: it has taken it) is left alone; a formatting key the
      // browser would act on itself mid-composition (its own Ctrl+B/I/U) is not
      // run, so the text being converted is never restyled.
      if (e.keyCode !== 229 && (key === "b" || key === "i" || key === "u")) { e.preventDefault(); }
      return;
    }
    var cmd = { b: "bold", i: "italic", k: "createLink" }[key];
    if (cmd) { e.preventDefault(); run(cmd); }
    if (key === "u") { e.preventDefault(); } // underline is not part of the rich text
  });

  // --- The From menu's signature, in the editor ------------------------------
  var from = document.getElementById("cmp-from"), sig = document.getElementById("cmp-sig");
  var lastSig = sig ? sig.value : "";
  if (from && sig) {
    from.addEventListener("change", function () {
      // compose.js (registered first) has swapped the textarea and sig.value.
      var old = lastSig, next = sig.value;
      lastSig = next;
      if (richField.value !== "1") { return; }
      var want = old.replace(/\s+$/, "").split("\n"), kids = Array.prototype.slice.call(editor.children);
      for (var i = 0; old && i + want.length <= kids.length; i++) {
        var match = want.every(function (l, j) { return kids[i + j].textContent.replace(/\s+$/, "") === l.replace(/\s+$/, ""); });
        if (match) {
          var holder = document.createElement("div");
          holder.innerHTML = fromText(next);
          while (holder.firstChild) { editor.insertBefore(holder.firstChild, kids[i]); }
          for (var j = 0; j < want.length; j++) { kids[i + j].remove(); }
          editor.dispatchEvent(new Event("input", { bubbles: true }));
          return;
        }
      }
      if (!old && next) {
        editor.insertAdjacentHTML("beforeend", "<div><br></div>" + fromText(next));
        editor.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }

  // --- Paste and drop ---------------------------------------------------------
  // Pasted HTML keeps only what the editor makes (the server checks again).
  var keep = { B: 1, STRONG: 1, I: 1, EM: 1, UL: 1, OL: 1, LI: 1, A: 1, BR: 1, DIV: 1, P: 1, BLOCKQUOTE: 1 };
  function cleanHTML(html) {
    var doc = new DOMParser().parseFromString(html, "text/html"); // inert: nothing runs or loads
    function copy(n, into) {
      Array.prototype.forEach.call(n.childNodes, function (c) {
        if (c.nodeType === 3) { into.appendChild(document.createTextNode(c.data)); return; }
        if (c.nodeType !== 1 || /^(SCRIPT|STYLE|TEMPLATE|HEAD|TITLE|IMG|SVG|IFRAME|OBJECT)$/i.test(c.nodeName)) { return; }
        if (!keep[c.nodeName]) { copy(c, into); return; }
        var el = document.createElement(c.nodeName);
        var href = c.getAttribute("href");
        if (c.nodeName === "A" && href && /^(https?:|mailto:)/i.test(href)) { el.setAttribute("href", href); }
        copy(c, el);
        into.appendChild(el);
      });
    }
    var out = document.createElement("div");
    copy(doc.body, out);
    return out.innerHTML;
  }
  function imagesOf(list) {
    return Array.prototype.filter.call(list || [], function (f) { return /^image\/(png|jpeg|gif|webp)$/.test(f.type); });
  }
  editor.addEventListener("paste", function (e) {
    var dt = e.clipboardData;
    if (!dt) { return; }
    var imgs = imagesOf(dt.files);
    e.preventDefault();
    if (imgs.length) { imgs.forEach(insertImage); return; }
    var html = dt.getData("text/html");
    if (html) {
      document.execCommand("insertHTML", false, cleanHTML(html));
    } else {
      document.execCommand("insertText", false, dt.getData("text/plain"));
    }
  });
  editor.addEventListener("dragover", function (e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) { e.preventDefault(); }
  });
  editor.addEventListener("drop", function (e) {
    var files = e.dataTransfer && e.dataTransfer.files;
    if (!files || !files.length) { return; }
    e.preventDefault();
    if (document.caretRangeFromPoint) {
      var r = document.caretRangeFromPoint(e.clientX, e.clientY);
      if (r) { var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r); }
    }
    imagesOf(files).forEach(insertImage);
    // Other files are attachments: handed to the file field's upload.
    var others = Array.prototype.filter.call(files, function (f) { return imagesOf([f]).length === 0; });
    var input = document.getElementById("cmp-files");
    if (others.length && input && window.DataTransfer) {
      var d = new DataTransfer();
      others.forEach(function (f) { d.items.add(f); });
      input.files = d.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // insertImage shows the image where the caret is (a data: URL, which the CSP
  // allows) and uploads it into the draft with the Content-ID its cid: names.
  function insertImage(file) {
    var up = window.yubinCompose;
    if (!up || !up.fits(file)) { return; }
    var rnd = new Uint8Array(12);
    crypto.getRandomValues(rnd);
    var cid = "img-" + Array.prototype.map.call(rnd, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("") + "@yubin";
    var name = file.name && file.name !== "image.png" ? file.name : t("tImage") + ".png";
    var reader = new FileReader();
    reader.onload = function () {
      editor.focus();
      document.execCommand("insertHTML", false, '<img src="' + esc(String(reader.result)) + '" alt="' + esc(name) + '" data-cid="' + cid + '">');
      body.value = toText(editor);
      var named = new File([file], name, { type: file.type });
      up.upload(named, cid, function (ok) {
        if (ok) { return; }
        var img = editor.querySelector('img[data-cid="' + cid + '"]');
        if (img) { img.remove(); body.value = toText(editor); }
      });
    };
    reader.readAsDataURL(file);
  }
})();
