// The route template form: show each step's fields for its kind and assignee, and preview the next
// 文号 as the code is typed (GET documents/templates/number-preview; nothing is taken).
(function () {
  "use strict";
  function refresh(step) {
    var kind = step.querySelector("[data-role=kind]").value;
    var who = step.querySelector("[data-role=who]").value;
    step.querySelectorAll("[data-for-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-kind").split(" ").indexOf(kind) < 0;
    });
    step.querySelectorAll("[data-for-who]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-who").split(" ").indexOf(who) < 0;
    });
  }
  function preview(form, input) {
    var out = input.closest("fieldset").querySelector(".number-preview");
    var url = form.getAttribute("data-preview-url") + "?code=" + encodeURIComponent(input.value);
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : {number: ""}; })
      .then(function (data) { if (out) { out.textContent = data.number; } })
      .catch(function () { /* the preview is a convenience; saving works without it */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("route-form");
    if (!form) { return; }
    form.querySelectorAll("fieldset.route-step").forEach(function (step) {
      refresh(step);
      step.addEventListener("change", function () { refresh(step); });
    });
    var timer = null;
    form.addEventListener("input", function (event) {
      if (event.target.getAttribute("data-role") !== "number-code") { return; }
      clearTimeout(timer);
      timer = setTimeout(function () { preview(form, event.target); }, 250);
    });
  });
})();
