// Typed questions of a form (application, report, preview): the value of a compound field (a
// group of radios or checkboxes, a table), tables whose rows are added and removed by keyboard
// or pointer, column totals, and conditions that show a question or a section only when an
// earlier answer matches. The server judges the same conditions; this only mirrors them.
(function () {
  "use strict";

  function value(el) {
    const kind = el.dataset.kind;
    if (kind === "radio") {
      const checked = el.querySelector("input:checked");
      return checked ? checked.value : "";
    }
    if (kind === "multi") return Array.from(el.querySelectorAll("input[type=checkbox]:checked")).map((i) => i.value);
    if (kind === "table") {
      return Array.from(el.tBodies[0].rows).map((tr) => {
        const row = {};
        tr.querySelectorAll("[data-col]").forEach((input) => { row[input.dataset.col] = input.value; });
        return row;
      }).filter((row) => Object.values(row).some((v) => String(v).trim()));
    }
    return el.value;
  }

  function addRow(table, row) {
    const body = table.tBodies[0];
    const last = body.rows[body.rows.length - 1];
    const tr = last.cloneNode(true);
    const n = body.rows.length + 1;
    tr.querySelectorAll("input").forEach((input) => {
      const id = input.id.replace(/-\d+$/, `-${n}`);
      const label = tr.querySelector(`label[for="${CSS.escape(input.id)}"]`);
      input.id = id;
      if (label) {
        label.htmlFor = id;
        label.textContent = label.textContent.replace(/\d+\s*$/, String(n));
      }
      input.value = row ? (row[input.dataset.col] || "") : "";
    });
    tr.querySelectorAll("[data-remove-table-row]").forEach((b) => { b.hidden = false; });
    body.appendChild(tr);
    return tr;
  }

  function setValue(el, v) {
    const kind = el.dataset.kind;
    if (kind === "radio") {
      el.querySelectorAll("input").forEach((i) => { i.checked = i.value === v; });
    } else if (kind === "multi") {
      const picks = new Set(Array.isArray(v) ? v : []);
      el.querySelectorAll("input[type=checkbox]").forEach((i) => { i.checked = picks.has(i.value); });
    } else if (kind === "table") {
      const rows = Array.isArray(v) ? v : [];
      const body = el.tBodies[0];
      while (body.rows.length > 1) body.deleteRow(-1);
      body.rows[0].querySelectorAll("input").forEach((i) => { i.value = ""; });
      rows.forEach((row, index) => {
        if (index === 0) body.rows[0].querySelectorAll("[data-col]").forEach((i) => { i.value = row[i.dataset.col] || ""; });
        else addRow(el, row);
      });
      addRow(el, null);
      updateTotals(el);
    } else {
      el.value = v == null ? "" : v;
    }
  }

  function num(v) {
    const n = parseFloat(String(v == null ? "" : v).replace(/\s|\u00a0/g, "").replace(",", "."));
    return isFinite(n) ? n : null;
  }

  function updateTotals(table) {
    const cells = table.querySelectorAll("[data-table-total]");
    if (!cells.length) return;
    const columns = JSON.parse(table.dataset.columns || "[]");
    cells.forEach((cell) => {
      const column = columns[parseInt(cell.dataset.tableTotal, 10)];
      if (!column || !cell.textContent.trim() && !["number", "amount"].includes(column.kind)) return;
      let total = 0;
      table.querySelectorAll(`tbody [data-col="${CSS.escape(column.key)}"]`).forEach((i) => { total += num(i.value) || 0; });
      cell.textContent = column.kind === "amount" ? total.toFixed(2) : String(Math.round(total * 1e6) / 1e6);
    });
  }

  function fieldAnswer(root, name) {
    const el = root.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!el) return { shown: false, value: "" };
    const wrap = el.closest("[data-field-wrap]");
    const shown = !el.closest("[hidden]") && !(wrap && wrap.hidden);
    return { shown, value: value(el) };
  }

  function holds(condition, root) {
    const answer = fieldAnswer(root, condition.question);
    if (!answer.shown) return false;
    const v = answer.value;
    const picks = Array.isArray(v) ? v.map(String) : (v === "" || v == null ? [] : [String(v)]);
    switch (condition.op) {
      case "equals": return picks.includes(String(condition.value));
      case "in": return (condition.value || []).some((e) => picks.includes(String(e)));
      case "yes": case "no": return v === condition.op;
      case "above": case "below": {
        const got = num(v); const bound = num(condition.value);
        if (got === null || bound === null || v === "") return false;
        return condition.op === "above" ? got > bound : got < bound;
      }
      default: return false;
    }
  }

  // In document order, so that a condition on a question that is itself hidden fails.
  function applyConditions(root) {
    root.querySelectorAll("[data-condition]").forEach((el) => {
      let condition = null;
      try { condition = JSON.parse(el.dataset.condition); } catch (e) { condition = null; }
      el.hidden = condition ? !holds(condition, root) : false;
    });
  }

  function init(root, onChange) {
    root.querySelectorAll("table[data-kind=table]").forEach((table) => {
      const button = root.querySelector(`[data-add-table-row="${CSS.escape(table.dataset.field)}"]`);
      const max = parseInt(table.dataset.maxRows || "200", 10);
      table.querySelectorAll("[data-remove-table-row]").forEach((b) => { b.hidden = false; });
      if (button) {
        button.hidden = false;
        button.addEventListener("click", () => {
          if (table.tBodies[0].rows.length >= max) return;
          addRow(table, null).querySelector("input").focus();
        });
      }
      table.addEventListener("click", (event) => {
        const remove = event.target.closest("[data-remove-table-row]");
        if (!remove) return;
        const tr = remove.closest("tr");
        if (table.tBodies[0].rows.length > 1) tr.remove();
        else tr.querySelectorAll("input").forEach((i) => { i.value = ""; });
        updateTotals(table);
        if (onChange) onChange(table.dataset.field);
      });
      table.addEventListener("input", () => updateTotals(table));
    });
    root.addEventListener("input", () => applyConditions(root));
    root.addEventListener("change", () => applyConditions(root));
    applyConditions(root);
  }

  window.HromadaForm = { value, setValue, applyConditions, init };
})();
