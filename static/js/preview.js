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

// Customer picker: an input with data-customer-search="ID" asks the
// console's customer search (by name or phone number) as the person types,
// and offers what it finds in the select ID. Without JavaScript the form's
// Find button does the same on the server.
(function () {
  "use strict";
  document.querySelectorAll("input[data-customer-search]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-customer-search"));
    if (!select) return;
    var timer = null, seq = 0;
    var said = document.getElementById("customer-found");
    if (!said) {
      said = document.createElement("p");
      said.id = "customer-found";
      said.className = "hint";
      said.setAttribute("role", "status");
      input.parentNode.insertAdjacentElement("afterend", said);
    }
    function option(value, label) {
      var o = document.createElement("option");
      o.value = value;
      o.textContent = label; // text, never HTML
      return o;
    }
    function fill(q, customers) {
      if (customers.length === 0) {
        said.textContent = "No customer matches \u201c" + q + "\u201d.";
        return;
      }
      said.textContent = customers.length === 1 ? "1 customer matches." : customers.length + " customers match.";
      while (select.children.length > 1) select.removeChild(select.lastChild);
      var pick = "";
      customers.forEach(function (cu) {
        var group = document.createElement("optgroup");
        group.label = cu.name;
        group.appendChild(option(cu.id, cu.name + ": no particular contact"));
        var matched = cu.contacts.filter(function (ct) { return ct.matched; });
        cu.contacts.forEach(function (ct) {
          var label = cu.name + ": " + (ct.name || ct.email) + (ct.phone ? " \u00b7 " + ct.phone : "") + " \u00b7 " + ct.role +
            (ct.matched ? " \u00b7 number matches" : "");
          group.appendChild(option(cu.id + "/" + ct.id, label));
        });
        select.appendChild(group);
        if (customers.length === 1) pick = matched.length === 1 ? cu.id + "/" + matched[0].id : cu.id;
      });
      select.value = pick;
    }
    function search() {
      var mine = ++seq, q = input.value.trim();
      if (q.length < 2) return;
      fetch("/console/customers/search?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (res) { if (res && mine === seq) fill(q, res.customers); })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault(); // search here; Enter elsewhere records the call
      clearTimeout(timer);
      search();
    });
  });
})();
