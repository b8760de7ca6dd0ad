// Live job states: refresh the rows of "my jobs" every few seconds (the page works without it).
(() => {
  const table = document.querySelector("table[data-refresh]");
  if (!table) return;
  const body = table.querySelector("tbody");
  const url = table.dataset.refresh;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const resp = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
      // A redirect means the session ended (login page): keep the rows rather than show that page.
      if (resp.ok && !resp.redirected && (resp.headers.get("Content-Type") || "").startsWith("text/html")) {
        body.innerHTML = await resp.text();
      }
    } catch (_err) {
      // The server is restarting or the network is down: keep the last rows, try again later.
    }
  };
  setInterval(refresh, 4000);
})();

// The 文印室 console reloads itself (data-autoreload seconds), except while the operator is using a form.
(() => {
  const marked = document.querySelector("[data-autoreload]");
  const seconds = Number(marked ? marked.dataset.autoreload : 0);
  if (!seconds) return;
  setInterval(() => {
    const busy = document.activeElement && document.activeElement.closest("form");
    if (!document.hidden && !busy) window.location.reload();
  }, seconds * 1000);
})();
