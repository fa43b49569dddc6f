// Live Markdown preview: textareas with data-preview="ID" show, in the
// element ID, the sanitised HTML the server renders for their text. The
// form works without it.
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-preview"));
    var csrf = area.form && area.form.querySelector("input[name=_csrf]");
    if (!out || !csrf) return;
    var timer = null, seq = 0;
    function render() {
      var mine = ++seq;
      if (!area.value.trim()) { out.hidden = true; return; }
      var data = new URLSearchParams({ _csrf: csrf.value, body: area.value });
      fetch("/console/preview", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (mine !== seq) return;
          out.innerHTML = html; // sanitised by the server's one policy
          out.hidden = html === "";
        })
        .catch(function () {});
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
  });
})();

// A submit button with data-schedule-label says so while its form's
// publish_at field holds a time: the update will wait for it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-schedule-label]").forEach(function (btn) {
    var at = btn.form && btn.form.querySelector("input[name=publish_at]");
    if (!at) return;
    var now = btn.textContent;
    function label() { btn.textContent = at.value ? btn.getAttribute("data-schedule-label") : now; }
    at.addEventListener("input", label);
    at.addEventListener("change", label);
    label();
  });
})();
