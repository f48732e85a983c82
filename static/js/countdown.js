// The time left until a deadline, kept up to date (<span data-countdown="ISO">); the deadline itself
// is shown in the visitor's time zone by site.js (data-local-time). Without JavaScript the page
// keeps the server's text.
(function () {
  const lang = document.documentElement.lang || "en";
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  function describe(ms) {
    if (ms <= 0) return null;
    let seconds = Math.floor(ms / 1000);
    const parts = [];
    for (const [unit, size] of units) {
      const n = Math.floor(seconds / size);
      seconds -= n * size;
      if (n > 0 || (unit === "second" && parts.length === 0)) {
        try {
          parts.push(new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long" }).format(n));
        } catch (e) {
          parts.push(n + " " + unit + (n === 1 ? "" : "s"));
        }
      }
      if (parts.length === 2) break;
    }
    return parts.join(" ");
  }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach((el) => {
      const when = new Date(el.getAttribute("data-countdown"));
      if (isNaN(when)) return;
      const text = describe(when - Date.now());
      el.textContent = text === null ? (el.getAttribute("data-passed") || "—") : text;
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 1000);
  });
})();
