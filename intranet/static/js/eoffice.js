// Small progressive enhancements; every page works without them.
// A form marked data-once is submitted once: a double click does not send it twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
  if (form.dataset.submitted === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  for (const button of form.querySelectorAll("button[type=submit], input[type=submit]")) {
    button.setAttribute("aria-disabled", "true");
    button.classList.add("busy");
  }
});
// Buttons that ask before acting: <button data-confirm="...">
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) event.preventDefault();
});
