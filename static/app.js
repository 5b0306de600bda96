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
      if (!window.confirm(msg)) { e.preventDefault(); }
    });
  });
  // Keyboard: c compose, r/a/f reply/all/forward, # delete, j/k move in the list.
  var rows = Array.prototype.slice.call(document.querySelectorAll(".rowlink"));
  var cur = -1;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"))) { return; }
    if (e.key === "c") { location.href = "/compose"; return; }
    if ((e.key === "j" || e.key === "k") && rows.length) {
      cur = Math.max(0, Math.min(rows.length - 1, cur + (e.key === "j" ? 1 : -1)));
      rows[cur].focus();
      return;
    }
    var el = document.querySelector('[data-key="' + e.key + '"]');
    if (el) { el.click(); }
  });
})();
