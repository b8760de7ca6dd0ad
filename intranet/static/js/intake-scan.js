// 收文 intake of a scanned 来文: ask what the worker's OCR read every 2 s and fill the fields of the form
// the clerk has not typed in; the note then says what was read (or why not). The page works without it:
// its link shows the form filled in by the server.
(() => {
  const note = document.querySelector("[data-intake-poll]");
  const form = document.getElementById("new-document");
  if (!note || !form) return;
  const touched = new Set();
  const mark = (event) => { if (event.target && event.target.name) touched.add(event.target.name); };
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  const fill = (fields) => {
    for (const [name, value] of Object.entries(fields)) {
      const el = form.elements.namedItem(name);
      if (!el || touched.has(name) || !("value" in el)) continue;
      if (el.tagName !== "SELECT" && el.value.trim() !== "") continue;  // never over what was typed
      el.value = value;
      el.classList.add("filled-by-ocr");
    }
  };
  const duplicate = (dup) => {
    const p = document.createElement("p");
    p.className = "flash warning";
    p.id = "intake-duplicate";
    const link = document.createElement("a");
    link.href = dup.url;
    link.textContent = dup.title;
    p.append(dup.text, link, dup.after);
    note.after(p);
  };
  let tries = 0;
  const poll = async () => {
    tries += 1;
    try {
      const resp = await fetch(note.dataset.intakePoll, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (resp.ok && !resp.redirected) {
        const body = await resp.json();
        if (body.status !== "pending") {
          fill(body.fields || {});
          note.textContent = body.message;
          note.className = body.status === "ready" ? "flash info" : "flash warning";
          note.id = body.status === "ready" ? "intake-note" : "intake-scan-failed";
          if (body.duplicate) duplicate(body.duplicate);
          return;
        }
      }
    } catch (_err) {
      // The server is restarting or the network is down: try again later.
    }
    if (tries < 300) setTimeout(poll, 2000);
  };
  setTimeout(poll, 1500);
})();
