// Autosave of grantee reports: progressive enhancement only, the form's buttons work without it.
// Saves 1.5 s after the last change; the server refuses a save based on an older version (409)
// instead of overwriting what another tab saved. While the server cannot be reached the text
// stays in the page and the save is tried again every 10 s. Messages come translated from the
// page (data-* attributes of the status line).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosave]").forEach((form) => {
    const status = form.querySelector("[data-autosave-status]");
    const version = form.querySelector("input[name=version]");
    const text = (key, fallback) => (status && status.dataset[key]) || fallback;
    let timer = null;
    let saving = false;
    let again = false;
    const say = (message) => { if (status) status.textContent = message; };
    const later = (delay) => { clearTimeout(timer); timer = setTimeout(save, delay); };
    async function save() {
      if (saving) { again = true; return; }
      saving = true;
      say(text("saving", "…"));
      const data = new FormData(form);
      data.set("action", "autosave");
      // The document's file input belongs to this form (it is saved with the upload): never send
      // a chosen file with an autosave.
      for (const [name, value] of Array.from(data.entries())) { if (value instanceof File) data.delete(name); }
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST", body: data, credentials: "same-origin", redirect: "manual",
          headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        });
        if (response.type === "opaqueredirect" || response.status === 403) {
          say(text("expired", response.statusText));
          later(10000);  // saved once the person has logged in again
          return;
        }
        const body = await response.json().catch(() => ({}));
        if (response.ok) {
          version.value = body.version;
          say(text("savedAt", "") + " " + new Date().toLocaleTimeString(document.documentElement.lang));
        } else {
          say(body.message || response.statusText);
        }
      } catch (error) {
        say(text("offline", ""));
        later(10000);
      } finally {
        saving = false;
        if (again) { again = false; save(); }
      }
    }
    form.addEventListener("input", (event) => { if (event.target.type !== "file") later(1500); });
    // The call's report form: tables whose rows are added and removed, conditions (form-fields.js).
    if (window.HromadaForm) window.HromadaForm.init(form, () => later(1500));
  });
});
