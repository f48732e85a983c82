// Autosave of grantee reports: progressive enhancement only, the form's buttons work without it.
// Saves 1.5 s after the last change; the server refuses a save based on an older version (409)
// instead of overwriting what another tab saved.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosave]").forEach((form) => {
    const status = form.querySelector("[data-autosave-status]");
    const version = form.querySelector("input[name=version]");
    let timer = null;
    let saving = false;
    let again = false;
    const say = (text) => { if (status) status.textContent = text; };
    const save = async () => {
      if (saving) { again = true; return; }
      saving = true;
      const data = new FormData(form);
      data.set("action", "autosave");
      try {
        const response = await fetch(form.dataset.autosaveUrl, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
        });
        const body = await response.json().catch(() => ({}));
        if (response.ok) {
          version.value = body.version;
          say(body.message + " " + new Date().toLocaleTimeString(document.documentElement.lang));
        } else {
          say(body.message || response.statusText);
        }
      } catch (error) {
        say(form.dataset.offlineMessage || "Not saved: no connection. Your text stays in this page.");
      } finally {
        saving = false;
        if (again) { again = false; save(); }
      }
    };
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(save, 1500);
    });
  });
});
