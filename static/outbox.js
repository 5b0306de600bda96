// yubin: the "Sending… Undo" bar counts down the undo delay, then says the
// message was sent. Without this file the Undo button works the same; after the
// delay the server answers that it is too late.
(function () {
  "use strict";
  var bar = document.getElementById("undobar");
  if (!bar) { return; }
  var left = Number(bar.dataset.seconds || 0), secs = document.getElementById("undosecs");
  var tick = function () {
    if (left <= 0) {
      bar.querySelector(".undotext").textContent = bar.dataset.sent;
      bar.querySelector("button").hidden = true;
      return;
    }
    secs.textContent = "(" + left + ")";
    left--;
    setTimeout(tick, 1000);
  };
  tick();
})();
