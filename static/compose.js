// yubin: the compose form's safety net (issue 15 items 3 and 5). The form works
// without this file; with it:
//   - the draft is saved to the Drafts folder a few seconds after each change and
//     when the page is left (POST /compose/save, one request at a time), and
//     leaving with unsaved text asks first;
//   - a chosen file is checked against the size limit at once, then uploaded into
//     the draft with a progress bar and listed with its size and a remove button;
//   - the From menu swaps the signature; a reply starts with the cursor above the
//     quote; Ctrl+Enter sends;
//   - sending text that mentions an attachment (添付, attach) with none attached
//     asks first.
// Nothing reacts to keys while an IME is composing (Japanese input).
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var body = $("cmp-body"), status = $("cmp-status"), files = $("cmp-files"), list = $("cmp-attlist");
  var box = $("cmp-attached"), progress = $("cmp-progress"), uperr = $("cmp-uperr");
  var warn = $("cmp-attwarn"), limit = Number(form.dataset.limit || 0);
  var t = function (key) { return form.dataset[key] || ""; };
  var fmt = function (s) { var args = arguments, i = 1; return s.replace(/%s/g, function () { return String(args[i++]); }); };
  var field = function (name) { return form.querySelector('input[name="' + name + '"]'); };

  // Where the cursor starts: above the quote in a reply or forward.
  if (form.dataset.focus && body) {
    body.focus();
    body.setSelectionRange(0, 0);
    body.scrollTop = 0;
  }

  // The From menu: the old address's signature is swapped for the new one's.
  var from = $("cmp-from"), sig = $("cmp-sig");
  if (from && sig && body) {
    from.addEventListener("change", function () {
      var old = sig.value, next = from.options[from.selectedIndex].dataset.signature || "";
      var v = body.value, at = old ? v.indexOf(old.replace(/\s+$/, "")) : -1;
      if (at >= 0) {
        body.value = v.slice(0, at) + next.replace(/\s+$/, "") + v.slice(at + old.replace(/\s+$/, "").length);
      } else if (!old && next) {
        body.value = v.replace(/\s*$/, "") + "\n\n" + next;
      }
      sig.value = next;
      changed();
    });
  }

  // --- Autosave -------------------------------------------------------------
  var edits = 0, savedEdits = 0, busy = false, again = false, timer = 0, firstUnsaved = 0;
  var uploads = [], used = Number(form.dataset.used || 0), submitting = false;

  function say(text, bad) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }
  function dirty() { return edits !== savedEdits; }
  function changed() {
    edits++;
    if (!firstUnsaved) { firstUnsaved = Date.now(); }
    clearTimeout(timer);
    // Three seconds after typing stops, and at least every fifteen while it goes on.
    var wait = Math.max(0, Math.min(3000, firstUnsaved + 15000 - Date.now()));
    timer = setTimeout(function () { save(null); }, wait);
  }
  form.addEventListener("input", function (e) {
    if (e.target === files) { return; }
    changed();
  });

  // formData is the form as the autosave posts it (static/rich.js adds the rich
  // text's fields); cid makes the file an image of the rich text, not an attachment.
  function formData(file, cid) {
    var fd = new FormData(form);
    fd.delete("file");
    fd.delete("schedule");
    if (file) { fd.append("file", file, file.name); }
    if (cid) { fd.append("file_cid", cid); }
    return fd;
  }
  function apply(res) {
    if (res.draft_uid) {
      field("draft_uid").value = res.draft_uid;
      field("src_uid").value = res.draft_uid;
      field("src_f").value = res.src_f;
    }
    used = res.used || 0;
    list.textContent = "";
    (res.attachments || []).forEach(function (a) { list.appendChild(item(a)); });
    box.hidden = !list.children.length;
    if (list.children.length) { warn.hidden = true; } // the missing attachment is there now
  }
  function item(a) {
    var li = document.createElement("li");
    var cb = document.createElement("input");
    cb.type = "checkbox"; cb.name = "src_part"; cb.value = a.path; cb.checked = true; cb.hidden = true;
    var name = document.createElement("span"); name.className = "aname"; name.textContent = a.name;
    var size = document.createElement("span"); size.className = "asize"; size.textContent = a.size;
    var rm = document.createElement("button");
    rm.type = "button"; rm.className = "btn link js-remove"; rm.textContent = t("tRemove");
    rm.setAttribute("aria-label", t("tRemove") + ": " + a.name);
    rm.addEventListener("click", function () {
      li.remove();
      box.hidden = !list.children.length;
      edits++;
      save(null);
    });
    li.appendChild(cb); li.appendChild(name); li.appendChild(document.createTextNode(" ")); li.appendChild(size); li.appendChild(rm);
    return li;
  }
  // The server-rendered list (a reopened draft, a forward) gets remove buttons too.
  Array.prototype.forEach.call(list.querySelectorAll("li"), function (li) {
    var cb = li.querySelector("input"), name = li.querySelector(".aname"), size = li.querySelector(".asize");
    if (cb && name && size) { li.replaceWith(item({ path: cb.value, name: name.textContent, size: size.textContent })); }
  });

  // save stores the form (and file, if any) as the newest version of the draft.
  // One request at a time: a change made meanwhile is saved right after.
  function save(file, done, cid) {
    if (busy) {
      if (file) { uploads.push({ file: file, done: done, cid: cid }); } else { again = true; }
      return;
    }
    if (!file && !dirty()) { if (done) { done(true); } return; }
    busy = true; again = false;
    clearTimeout(timer);
    var at = edits;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/compose/save");
    xhr.responseType = "json";
    if (file) {
      progress.hidden = false; progress.value = 0;
      say(fmt(t("tUploading"), file.name));
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { progress.value = Math.round(e.loaded * 100 / e.total); }
      });
    } else {
      say(t("tSaving"));
    }
    var finish = function (ok, res) {
      busy = false;
      progress.hidden = true;
      if (ok) {
        apply(res);
        savedEdits = at;
        if (!dirty()) { firstUnsaved = 0; }
        say(fmt(t("tSaved"), res.saved));
      } else {
        var why = (res && res.error) || t("tOffline");
        say(fmt(t("tSavefail"), why), true);
        if (file) { uperr.textContent = why; uperr.hidden = false; }
      }
      if (done) { done(ok); }
      var next = uploads.shift();
      if (next) { save(next.file, next.done, next.cid); } else if (again || (dirty() && ok)) { save(null); }
      buttons();
    };
    xhr.addEventListener("load", function () {
      var res = xhr.response;
      finish(xhr.status === 200 && res && !res.error, res);
    });
    xhr.addEventListener("error", function () { finish(false, null); });
    xhr.send(formData(file, cid));
    buttons();
  }

  // --- Attachments: checked at selection, uploaded at once --------------------
  function queuedBytes() { return uploads.reduce(function (n, u) { return n + u.file.size; }, 0); }
  // Images pasted into the rich text (static/rich.js) upload the same way, within
  // the same limit.
  window.yubinCompose = {
    fits: function (f) {
      uperr.hidden = true;
      if (limit && used + queuedBytes() + f.size > limit) {
        uperr.textContent = fmt(t("tToolarge"), f.name, t("limitText"));
        uperr.hidden = false;
        return false;
      }
      return true;
    },
    upload: function (f, cid, done) { edits++; save(f, done, cid); }
  };
  if (files) {
    files.addEventListener("change", function () {
      uperr.hidden = true;
      var queued = queuedBytes();
      Array.prototype.forEach.call(files.files, function (f) {
        if (limit && used + queued + f.size > limit) {
          uperr.textContent = fmt(t("tToolarge"), f.name, t("limitText"));
          uperr.hidden = false;
          return;
        }
        queued += f.size;
        edits++;
        save(f);
      });
      files.value = ""; // uploaded into the draft: nothing left for the form to send
    });
  }

  // uploading reports whether a file is still on its way into the draft.
  function uploading() { return busy && uploads.length + (progress.hidden ? 0 : 1) > 0; }
  function buttons() {
    // Send stays clickable during an upload (a disabled button would swallow the
    // click): the submit handler below waits for the files, saying so.
    form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.setAttribute("aria-busy", uploading() ? "true" : "false"); });
  }

  // --- Leaving --------------------------------------------------------------
  window.addEventListener("beforeunload", function (e) {
    if (submitting || (!dirty() && !busy)) { return; }
    e.preventDefault();
    e.returnValue = "";
  });
  window.addEventListener("pagehide", function () {
    if (submitting || !dirty() || !navigator.sendBeacon) { return; }
    navigator.sendBeacon("/compose/save", formData(null));
  });

  // --- Sending ---------------------------------------------------------------
  var skipCheck = false, lastSubmitter = null;
  function mentionsAttachment() {
    var own = [];
    body.value.split("\n").some(function (line) {
      if (/^-{5,}/.test(line.trim())) { return true; } // a forwarded message starts here
      if (!/^\s*>/.test(line)) { own.push(line); }
      return false;
    });
    return /添付|attach/i.test(own.join("\n"));
  }
  form.addEventListener("submit", function (e) {
    var s = e.submitter || lastSubmitter;
    var sending = !s || s.id === "cmp-send" || s.id === "cmp-schedule";
    if (busy) {
      // Let the save finish first, so the message names the draft it replaces
      // and carries every file being uploaded.
      e.preventDefault();
      if (sending && uploading()) { say(t("tSendwait")); }
      setTimeout(function () { form.requestSubmit(s); }, 200);
      return;
    }
    if (sending && !skipCheck && mentionsAttachment() && !list.querySelector('input[name="src_part"]:checked')) {
      e.preventDefault();
      lastSubmitter = s;
      warn.hidden = false;
      $("cmp-attwarn-send").focus();
      return;
    }
    submitting = true;
  });
  var anyway = $("cmp-attwarn-send");
  if (anyway) {
    anyway.addEventListener("click", function () {
      skipCheck = true;
      warn.hidden = true;
      form.requestSubmit(lastSubmitter || $("cmp-send"));
    });
  }
  // Ctrl+Enter (⌘+Enter) sends, but never while an IME is composing: Enter then
  // commits the conversion.
  form.addEventListener("keydown", function (e) {
    if (e.isComposing || e.keyCode === 229) { return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit($("cmp-send"));
    }
  });
})();
