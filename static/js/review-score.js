// The reviewer's score sheet: the weighted total as they type, and how long each comment is.
// Progressive enhancement only: the server computes and checks everything again.
document.addEventListener("DOMContentLoaded", () => {
  const sheet = document.querySelector("form[data-score-sheet]");
  if (!sheet) return;
  const output = sheet.querySelector("[data-weighted-total]");
  const inputs = Array.from(sheet.querySelectorAll("input[data-score-input]"));

  // Half points times weights with two decimals: work in hundredths to stay exact.
  const hundredths = (text) => {
    const value = Number(String(text).replace(",", "."));
    return Number.isFinite(value) ? Math.round(value * 100) : 0;
  };
  const update = () => {
    let total = 0;
    inputs.forEach((input) => {
      total += hundredths(input.value) * hundredths(input.dataset.weight);
    });
    if (output) output.textContent = (total / 10000).toFixed(2);
  };
  inputs.forEach((input) => input.addEventListener("input", update));
  update();

  sheet.querySelectorAll("textarea[data-min-chars]").forEach((area) => {
    const minimum = Number(area.dataset.minChars) || 0;
    const counter = document.createElement("p");
    counter.className = "help char-count";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    const template = sheet.dataset.countTemplate || "{n} / {min}";
    const show = () => {
      const n = area.value.trim().length;
      counter.textContent = template.replace("{n}", n).replace("{min}", minimum);
      counter.classList.toggle("short", n < minimum);
    };
    area.addEventListener("input", show);
    show();
  });
});
