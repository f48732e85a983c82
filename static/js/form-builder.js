// The builder's question page: only the settings the chosen type uses are shown (the others
// stay in the page, empty, and the server ignores them). Without JavaScript every setting shows.
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.getElementById("id_kind");
  if (!kind) return;
  const TEXT = ["short_text", "long_text"];
  const CHOICES = ["choice", "multi_choice"];
  const uses = {
    max_chars: TEXT,
    minimum: ["number", "amount"],
    maximum: ["number", "amount"],
    unit: ["number"],
    choices: CHOICES,
    display: ["choice"],
    min_picks: ["multi_choice"],
    max_picks: ["multi_choice"],
    table_columns: ["table"],
    max_rows: ["table"],
    file_types: ["file"],
    max_mb: ["file"],
    accept: ["choice", "multi_choice", "yes_no"],
    accept_min: ["number"],
    accept_max: ["number"],
  };
  function wrap(name) {
    const el = document.getElementById(`id_${name}`);
    return el ? el.closest(".field") : null;
  }
  function show() {
    Object.entries(uses).forEach(([name, kinds]) => {
      const field = wrap(name);
      if (field) field.hidden = !kinds.includes(kind.value);
    });
    document.querySelectorAll("[id^=id_choices_], [id^=id_columns_]").forEach((el) => {
      const field = el.closest(".field");
      const isChoice = el.id.startsWith("id_choices_");
      field.hidden = !(isChoice ? CHOICES.includes(kind.value) : kind.value === "table");
    });
  }
  kind.addEventListener("change", show);
  show();
});
