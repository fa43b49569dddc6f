// Keeps "next customer update" countdowns current without reloading.
// The page works without it: the server renders the text at load time.
(function () {
  "use strict";
  function fmt(ms) {
    var m = Math.round(Math.abs(ms) / 60000);
    var s = m < 60 ? m + " min" : Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
    return ms < 0 ? "overdue by " + s : "due in " + s;
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-due")) - Date.now();
      var box = el.closest(".cadence");
      var text = box && box.querySelector(".due-text");
      if (!text || isNaN(ms)) return;
      text.textContent = fmt(ms);
      box.classList.toggle("cadence-overdue", ms < 0);
      box.classList.toggle("cadence-due_soon", ms >= 0 && ms <= 5 * 60000);
      box.classList.toggle("cadence-on_time", ms > 5 * 60000);
    });
  }
  tick();
  setInterval(tick, 15000);
})();
