// yubin: touch screens (issue 14 item 6). A long press on a row selects it (as
// Gmail, Outlook and Fastmail do on phones: dragging a row onto a folder is not
// workable on a list that scrolls under the finger); while rows are selected, a
// tap on another row adds it to the selection or takes it out instead of opening
// it. "Move to…" opens a sheet of folders (templates/movesheet.templ) instead of
// the small menu: a folder's button chooses it in the menu and presses the form's
// own Move, so what is posted is what the form posts without this file.
(function () {
  "use strict";
  var touchy = function () {
    return navigator.maxTouchPoints > 0 || (window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  };

  // "Move to…": the sheet instead of the menu, on touch screens.
  var sheets = function () {
    document.querySelectorAll(".move").forEach(function (span) {
      var open = span.querySelector(".js-movesheet"), sheet = span.querySelector("dialog.movesheet");
      var dest = span.querySelector('select[name="dest"]'), move = span.querySelector('button[name="action"][value="move"]');
      if (!open || !sheet || !dest || !move || open.dataset.ready) { return; }
      open.dataset.ready = "1";
      span.classList.add("sheet");
      open.hidden = false;
      open.addEventListener("click", function () {
        if (sheet.showModal) { sheet.showModal(); } else { sheet.setAttribute("open", ""); }
      });
      sheet.addEventListener("click", function (e) {
        var b = e.target.closest && e.target.closest("button");
        if (e.target === sheet || (b && b.classList.contains("js-sheetclose"))) { sheet.close(); return; }
        if (!b || !b.dataset.dest) { return; }
        dest.value = b.dataset.dest;
        sheet.close();
        var form = move.form;
        if (form && form.requestSubmit) { form.requestSubmit(move); } else { move.click(); }
      });
    });
  };
  if (touchy()) { sheets(); }
  // A message opened in the reading pane brings its own (panes.js).
  document.addEventListener("yubin:pane", function () { if (touchy()) { sheets(); } });

  var form = document.getElementById("listform");
  if (!form || !window.PointerEvent) { return; }
  // swallow: a long press selected; the click that ends it opens nothing.
  var pressAt = null, timer = 0, swallow = false, lastPointer = "";
  var selecting = function () { return !!form.querySelector('.msglist input[name="uid"]:checked'); };
  var toggle = function (row) {
    var box = row.querySelector('input[name="uid"]');
    if (!box) { return; }
    box.checked = !box.checked;
    // organize.js keeps "select all" and its offer in step on change.
    box.dispatchEvent(new Event("change", { bubbles: true }));
  };
  var cancel = function () { clearTimeout(timer); timer = 0; pressAt = null; };

  form.addEventListener("pointerdown", function (e) {
    lastPointer = e.pointerType;
    var row = e.target.closest && e.target.closest(".msglist .row");
    swallow = false;
    if (e.pointerType !== "touch" || !row || e.target.closest('input[name="uid"], label.avatar')) { return; }
    pressAt = { x: e.clientX, y: e.clientY };
    timer = setTimeout(function () {
      timer = 0;
      swallow = true;
      if (navigator.vibrate) { try { navigator.vibrate(15); } catch (x) { /* not allowed */ } }
      var box = row.querySelector('input[name="uid"]');
      if (box && !box.checked) { toggle(row); }
    }, 450);
  });
  form.addEventListener("pointermove", function (e) {
    // A finger that moves is scrolling, not pressing.
    if (pressAt && Math.abs(e.clientX - pressAt.x) + Math.abs(e.clientY - pressAt.y) > 10) { cancel(); }
  });
  form.addEventListener("pointerup", cancel);
  form.addEventListener("pointercancel", cancel);
  // The browser's own long-press menu on the row's link ("open in new tab") would
  // cover the selection.
  form.addEventListener("contextmenu", function (e) {
    if (lastPointer === "touch" && e.target.closest && e.target.closest(".msglist .row")) { e.preventDefault(); }
  });
  form.addEventListener("click", function (e) {
    if (swallow) {
      swallow = false;
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    var row = e.target.closest && e.target.closest(".msglist .row");
    if (!row || e.target.closest('input[name="uid"], label.avatar')) { return; }
    // While selecting by touch, a tap selects rather than opens.
    if (lastPointer === "touch" && selecting()) {
      e.preventDefault();
      e.stopPropagation();
      toggle(row);
    }
  }, true);
})();
