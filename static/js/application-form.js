// The application form: autosave with optimistic concurrency, a copy of unsaved text in this
// browser (localStorage) restored on reload, live character counts and budget totals.
// Without JavaScript the form still works: "Save draft" posts it and the server merges the same way.
(function () {
  "use strict";
  const SAVE_EVERY_MS = 3000;
  const NUMERIC = new Set(["requested_amount", "cofinancing_amount"]);

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("application-form");
    if (!form) return;
    const statusEl = document.getElementById("autosave-status");
    const text = (key) => statusEl.dataset[key] || "";
    const url = form.dataset.autosaveUrl;
    const storageKey = form.dataset.storageKey;
    const table = document.getElementById("budget-table");
    const versionInput = form.querySelector("[data-version]");
    let version = parseInt(versionInput.value, 10);
    const base = {};
    form.querySelectorAll("[data-base]").forEach((el) => { base[el.dataset.base] = el.value; });
    const dirty = new Set();
    const invalid = new Set();
    const conflicts = {};
    let inflight = null;
    let stopped = false;
    let saves = 0;
    let rowCounter = table ? table.tBodies[0].rows.length : 0;

    // --- values -------------------------------------------------------------------------
    const fieldEl = (name) => form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    function budgetRows() {
      if (!table) return [];
      return Array.from(table.tBodies[0].rows).map((tr) => ({
        heading: tr.querySelector('[data-col="heading"]').value,
        description: tr.querySelector('[data-col="description"]').value,
        units: tr.querySelector('[data-col="units"]').value,
        unit_cost: tr.querySelector('[data-col="unit_cost"]').value,
      })).filter((r) => r.description.trim() || r.units.trim() || r.unit_cost.trim());
    }
    const typed = window.HromadaForm;
    function value(name) {
      if (name === "budget") return budgetRows();
      const el = fieldEl(name);
      if (el && el.dataset.kind && typed) return typed.value(el);
      return el ? el.value : null;
    }
    function setValue(name, v) {
      if (name === "budget") return setBudgetRows(v || []);
      const el = fieldEl(name);
      if (el && el.dataset.kind && typed) { typed.setValue(el, v); typed.applyConditions(form); }
      else if (el) { el.value = v == null ? "" : v; updateCount(el); }
      updateTotals();
    }
    function num(v) {
      const n = parseFloat(String(v == null ? "" : v).replace(/\s|\u00a0/g, "").replace(",", "."));
      return isFinite(n) ? n : null;
    }
    function canon(name, v) {
      if (name === "budget") {
        return JSON.stringify((v || []).map((r) => [String(r.heading || ""), String(r.description || "").trim(),
          num(r.units) === null ? "" : num(r.units).toFixed(2), num(r.unit_cost) === null ? "" : num(r.unit_cost).toFixed(2)]));
      }
      if (NUMERIC.has(name)) return num(v) === null ? String(v || "").trim() : num(v).toFixed(2);
      if (Array.isArray(v) || (v && typeof v === "object")) return JSON.stringify(v);
      return String(v == null ? "" : v).replace(/\r\n?/g, "\n");
    }
    const same = (name, a, b) => canon(name, a) === canon(name, b);
    function display(v) {
      if (Array.isArray(v)) {
        return v.map((r) => {
          if (r && typeof r === "object" && "unit_cost" in r) return `${r.description}: ${r.units} × ${r.unit_cost}`;
          return r && typeof r === "object" ? Object.values(r).join(" | ") : String(r);
        }).join("\n");
      }
      return v == null ? "" : String(v);
    }

    // --- character counts and budget totals ----------------------------------------------
    function updateCount(el) {
      const counter = form.querySelector(`[data-count-for="${CSS.escape(el.dataset.field || "")}"]`);
      if (!counter) return;
      const n = Array.from(el.value.replace(/\r\n?/g, "\n")).length;
      const max = parseInt(el.dataset.maxChars || "0", 10);
      counter.textContent = max ? `${n} / ${max}` : String(n);
      counter.classList.toggle("over", Boolean(max && n > max));
    }
    form.querySelectorAll("[data-max-chars], textarea[data-field]").forEach(updateCount);

    const money = (n) => (Math.round(n * 100) / 100).toFixed(2);
    function updateTotals() {
      if (!table) return;
      const sums = { direct: 0, indirect: 0, contingency: 0 };
      Array.from(table.tBodies[0].rows).forEach((tr) => {
        const select = tr.querySelector('[data-col="heading"]');
        const units = num(tr.querySelector('[data-col="units"]').value);
        const cost = num(tr.querySelector('[data-col="unit_cost"]').value);
        const cell = tr.querySelector('[data-col="total"]');
        if (units === null || cost === null) { cell.textContent = ""; return; }
        const total = Math.round(units * cost * 100) / 100;
        cell.textContent = money(total);
        const option = select.options[select.selectedIndex];
        const kind = (option && option.dataset.kind) || "direct";
        sums[kind in sums ? kind : "direct"] += total;
      });
      const total = sums.direct + sums.indirect + sums.contingency;
      const requested = num(value("requested_amount")) || 0;
      const cofinancing = num(value("cofinancing_amount")) || 0;
      const put = (key, v) => { const el = table.querySelector(`[data-total="${key}"]`); if (el) el.textContent = v; };
      put("direct", money(sums.direct));
      put("indirect", money(sums.indirect));
      put("contingency", money(sums.contingency));
      put("total", money(total));
      put("expected", money(requested + cofinancing));
      put("indirect-pct", sums.direct ? `(${money(sums.indirect * 100 / sums.direct)}%)` : "");
      put("cofinancing-pct", total ? `${money(cofinancing * 100 / total)}%` : "");
      const checks = document.getElementById("budget-checks");
      if (checks) {
        const messages = [];
        const indirectMax = parseFloat(form.dataset.indirectMaxPct || "0");
        const cofMin = parseFloat(form.dataset.cofinancingMinPct || "0");
        if (sums.indirect > Math.round(sums.direct * indirectMax) / 100 + 0.001) messages.push(checks.dataset.msgIndirect);
        if (total && Math.abs(total - (requested + cofinancing)) > 0.004) messages.push(checks.dataset.msgTotal);
        if (total && cofMin && cofinancing < Math.round(total * cofMin) / 100 - 0.001) messages.push(checks.dataset.msgCofinancing);
        checks.replaceChildren(...messages.map((m) => { const li = document.createElement("li"); li.textContent = m; return li; }));
      }
    }

    // --- budget rows ----------------------------------------------------------------------
    function addRow(row) {
      const template = document.getElementById("budget-row-template");
      const tr = template.content.firstElementChild.cloneNode(true);
      rowCounter += 1;
      tr.querySelectorAll("[id]").forEach((el) => {
        const old = el.id;
        el.id = old.replace(/-0$/, `-r${rowCounter}`);
        const label = tr.querySelector(`label[for="${old}"]`);
        if (label) label.htmlFor = el.id;
      });
      if (row) {
        tr.querySelector('[data-col="heading"]').value = row.heading == null ? "" : String(row.heading);
        tr.querySelector('[data-col="description"]').value = row.description || "";
        tr.querySelector('[data-col="units"]').value = row.units || "";
        tr.querySelector('[data-col="unit_cost"]').value = row.unit_cost || "";
      }
      tr.querySelectorAll("[data-remove-row]").forEach((b) => { b.hidden = false; });
      table.tBodies[0].appendChild(tr);
      return tr;
    }
    function setBudgetRows(rows) {
      table.tBodies[0].replaceChildren();
      rows.forEach((r) => addRow(r));
      addRow(null);
      updateTotals();
    }
    if (table) {
      table.querySelectorAll("[data-remove-row]").forEach((b) => { b.hidden = false; });
      const add = document.getElementById("budget-add");
      if (add) {
        add.hidden = false;
        add.addEventListener("click", () => { addRow(null).querySelector("select").focus(); });
      }
      table.addEventListener("click", (event) => {
        const button = event.target.closest("[data-remove-row]");
        if (!button) return;
        button.closest("tr").remove();
        markDirty("budget");
        updateTotals();
      });
    }

    // --- messages next to fields ------------------------------------------------------------
    function messagesBox(name) { return form.querySelector(`[data-messages-for="${CSS.escape(name)}"]`); }
    function showErrors(name, errors) {
      const box = messagesBox(name);
      if (!box) return;
      box.querySelectorAll(".errors").forEach((el) => el.remove());
      if (!errors || !errors.length) return;
      const ul = document.createElement("ul");
      ul.className = "errors";
      ul.id = `error-${name}`;
      errors.forEach((m) => { const li = document.createElement("li"); li.textContent = m; ul.appendChild(li); });
      box.prepend(ul);
    }
    function showConflict(name) {
      const box = messagesBox(name);
      if (!box) return;
      box.querySelectorAll(".conflict").forEach((el) => el.remove());
      const conflict = conflicts[name];
      if (!conflict) return;
      const div = document.createElement("div");
      div.className = "conflict";
      div.setAttribute("role", "alert");
      const p = document.createElement("p");
      p.textContent = text("msgConflict");
      const pre = document.createElement("pre");
      pre.className = "theirs";
      pre.textContent = display(conflict.theirs);
      const keep = document.createElement("button");
      keep.type = "button";
      keep.textContent = text("msgKeepMine");
      keep.addEventListener("click", () => {
        base[name] = conflict.hash;
        delete conflicts[name];
        div.remove();
        markDirty(name);
        save();
      });
      const theirs = document.createElement("button");
      theirs.type = "button";
      theirs.className = "button-secondary";
      theirs.textContent = text("msgUseTheirs");
      theirs.addEventListener("click", () => {
        setValue(name, conflict.theirs);
        base[name] = conflict.hash;
        delete conflicts[name];
        dirty.delete(name);
        div.remove();
        saveLocal();
        setStatus();
      });
      div.append(p, pre, keep, document.createTextNode(" "), theirs);
      box.appendChild(div);
    }

    // --- status -----------------------------------------------------------------------------
    let lastSaved = null;
    let restoredNotice = false;
    function setStatus(kind, detail) {
      let message;
      if (kind === "saving") message = text("saving");
      else if (kind === "offline") message = text("offline");
      else if (kind === "expired") message = text("expired");
      else if (kind === "stopped") message = detail;
      else if (Object.keys(conflicts).length) message = text("conflict");
      else if (dirty.size) message = text("unsaved");
      else message = lastSaved ? `${text("saved")} · ${text("savedAt")} ${lastSaved.toLocaleTimeString()}` : text("saved");
      statusEl.textContent = restoredNotice ? `${text("restored")} ${message}` : message;
      statusEl.dataset.state = kind || (dirty.size ? "unsaved" : "saved");
      // Screen readers hear only what needs attention, once, not every save.
      const problem = ["offline", "expired", "stopped"].includes(kind) || Object.keys(conflicts).length || restoredNotice;
      const alertEl = document.getElementById("autosave-alert");
      const alertText = problem ? statusEl.textContent : "";
      if (alertEl && alertEl.textContent !== alertText) alertEl.textContent = alertText;
    }

    // --- the copy in this browser -------------------------------------------------------------
    function saveLocal() {
      const names = new Set([...dirty, ...invalid, ...Object.keys(conflicts)]);
      try {
        if (!names.size) { localStorage.removeItem(storageKey); return; }
        const fields = {};
        const bases = {};
        names.forEach((n) => { fields[n] = value(n); bases[n] = base[n]; });
        localStorage.setItem(storageKey, JSON.stringify({ savedAt: Date.now(), version, fields, base: bases }));
      } catch (e) { /* storage full or disabled: the server copy is all there is */ }
    }
    function restoreLocal() {
      let stored = null;
      try { stored = JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { stored = null; }
      if (!stored || !stored.fields) return;
      let restored = false;
      Object.entries(stored.fields).forEach(([name, mine]) => {
        if (!(name in base)) return;
        const server = value(name);
        if (same(name, mine, server)) return;
        setValue(name, mine);
        restored = true;
        if (stored.base && stored.base[name] === base[name]) {
          dirty.add(name); // nobody saved this field since: the browser's text is the newest
        } else {
          conflicts[name] = { theirs: server, hash: base[name] }; // someone else saved it meanwhile
          showConflict(name);
        }
      });
      if (restored) {
        updateTotals();
        restoredNotice = true;
      }
      saveLocal();
    }

    // --- saving -----------------------------------------------------------------------------
    function csrfToken() {
      const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (match) return decodeURIComponent(match[1]);
      const input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
    function syncHidden() {
      versionInput.value = String(version);
      form.querySelectorAll("[data-base]").forEach((el) => { if (base[el.dataset.base] !== undefined) el.value = base[el.dataset.base]; });
    }
    function save() {
      if (stopped) return Promise.resolve();
      if (inflight) return inflight;
      const names = [...dirty].filter((n) => !(n in conflicts));
      if (!names.length) return Promise.resolve();
      const fields = {};
      names.forEach((n) => { fields[n] = value(n); });
      // Every few saves the whole copy is compared, so the page learns what other members saved.
      saves += 1;
      const sentBase = {};
      Object.keys(base).forEach((n) => { if (saves % 4 === 1 || n in fields) sentBase[n] = base[n]; });
      setStatus("saving");
      inflight = fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ version, fields, base: sentBase }),
      }).then(async (response) => {
        let data = null;
        try { data = await response.json(); } catch (e) { data = null; }
        // 400: some fields were refused (each says why in data.errors); the others were saved.
        if ((response.ok || response.status === 400) && data && data.version !== undefined) return applyResult(fields, data);
        if (response.status === 401 || (response.status === 403 && !data)) return setStatus("expired");
        if (data && data.detail && [403, 404, 409].includes(response.status)) {
          stopped = true;
          return setStatus("stopped", data.detail);
        }
        setStatus("offline");
      }).catch(() => setStatus("offline")).finally(() => { inflight = null; saveLocal(); });
      return inflight;
    }
    function applyResult(sent, data) {
      version = data.version;
      (data.applied || []).forEach((n) => {
        base[n] = data.hashes[n];
        if (same(n, value(n), sent[n])) dirty.delete(n);
        invalid.delete(n);
        showErrors(n, []);
      });
      Object.entries(data.conflicts || {}).forEach(([n, theirs]) => {
        conflicts[n] = { theirs, hash: data.hashes[n] };
        showConflict(n);
      });
      Object.entries(data.errors || {}).forEach(([n, errors]) => {
        dirty.delete(n);
        invalid.add(n);
        showErrors(n, errors);
      });
      Object.entries(data.updates || {}).forEach(([n, v]) => {
        const el = n === "budget" ? table : fieldEl(n);
        const editing = el && el.contains(document.activeElement);
        if (dirty.has(n) || invalid.has(n) || n in conflicts || editing) return;
        setValue(n, v);
        base[n] = data.hashes[n];
      });
      lastSaved = new Date(data.saved_at);
      syncHidden();
      saveLocal();
      setStatus();
    }
    async function flush() {
      if (inflight) await inflight;
      if (dirty.size) await save();
    }

    // --- events -------------------------------------------------------------------------------
    function fieldName(target) {
      const el = target.closest("[data-field]");
      return el ? el.dataset.field : null;
    }
    function markDirty(name) {
      restoredNotice = false;
      dirty.add(name);
      invalid.delete(name);
      saveLocal();
      setStatus();
    }
    form.addEventListener("input", (event) => {
      const name = fieldName(event.target);
      if (!name) return;
      if (event.target.dataset.field) updateCount(event.target);
      updateTotals();
      markDirty(name);
    });
    form.addEventListener("change", (event) => {
      const name = fieldName(event.target);
      if (name) { updateTotals(); markDirty(name); }
    });
    form.addEventListener("focusout", (event) => { if (fieldName(event.target)) save(); });
    if (typed) typed.init(form, (name) => markDirty(name));
    form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") save(); });
    window.addEventListener("pagehide", saveLocal);
    document.querySelectorAll("[data-upload-form]").forEach((upload) => {
      upload.addEventListener("submit", async (event) => {
        event.preventDefault();
        await flush();
        upload.submit();
      });
    });
    document.querySelectorAll("[data-flush-link]").forEach((link) => {
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        await flush();
        window.location.href = link.href;
      });
    });
    setInterval(save, SAVE_EVERY_MS);
    restoreLocal();
    updateTotals();
    setStatus();
    if (dirty.size) save();
  });
})();
