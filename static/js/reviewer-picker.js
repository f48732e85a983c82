// The reviewer picker on a manager's review page: suggestions while typing (ARIA combobox with a
// listbox), keyboard first (arrows, Enter, Escape). Without JavaScript the search form still
// works: submitting it lists the matching reviewers to choose from.
(function () {
  "use strict";
  const DELAY_MS = 200;

  document.addEventListener("DOMContentLoaded", () => {
    const input = document.querySelector("input[data-reviewer-picker]");
    if (!input) return;
    const list = document.getElementById("reviewer-suggestions");
    const status = input.form.querySelector("[data-reviewer-status]");
    const pick = document.querySelector("form[data-reviewer-pick]");
    const options = pick.querySelector("[data-reviewer-options]");
    const url = input.dataset.reviewerPicker;
    let results = [];
    let active = -1;
    let timer = null;
    let request = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    function label(r) {
      const parts = [r.email];
      if (r.expertise.length) parts.push(r.expertise.join(", "));
      if (r.countries.length) parts.push(r.countries.join(", "));
      parts.push(`${r.open_reviews} ${input.dataset.open}`);
      return parts.join(" · ");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function render() {
      list.replaceChildren();
      results.forEach((r, i) => {
        const li = document.createElement("li");
        li.id = `reviewer-option-${r.id}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const name = document.createElement("strong");
        name.textContent = r.name || r.email;
        const details = document.createElement("span");
        details.className = "muted";
        details.textContent = ` ${label(r)}`;
        li.append(name, details);
        li.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the field
        li.addEventListener("click", () => choose(i));
        list.append(li);
      });
      if (!results.length) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = input.dataset.none;
        list.append(li);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = results.length ? `${results.length} ${input.dataset.count}` : input.dataset.none;
      active = -1;
    }

    // The chosen reviewer becomes the one option of the assignment form; "Assign" confirms.
    function choose(index) {
      const r = results[index];
      if (!r) return;
      const labelEl = document.createElement("label");
      labelEl.className = "choice";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "reviewer";
      radio.value = String(r.id);
      radio.required = true;
      radio.checked = true;
      const details = document.createElement("span");
      details.className = "muted";
      details.textContent = ` ${label(r)}`;
      labelEl.append(radio, ` ${r.name || r.email}`, details);
      options.replaceChildren(labelEl);
      pick.hidden = false;
      input.value = r.name || r.email;
      close();
      pick.querySelector("button[type=submit]").focus();
    }

    function search() {
      if (request) request.abort();
      request = new AbortController();
      const query = new URLSearchParams({ q: input.value.trim() });
      fetch(`${url}?${query}`, { headers: { Accept: "application/json" }, signal: request.signal, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((body) => { results = body.results || []; render(); })
        .catch((error) => { if (error && error.name === "AbortError") return; close(); });
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("focus", () => { if (!input.value.trim() && list.hidden) search(); });
    input.addEventListener("blur", () => setTimeout(close, 150));
    input.addEventListener("keydown", (event) => {
      const count = results.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        if (count) highlight((active + 1) % count);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (count && !list.hidden) highlight(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault(); // choose, do not submit the search
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
  });
})();
