// Times in the visitor's own time zone (<time datetime="ISO" data-local-time>) and the time left
// until a deadline, kept up to date (<span data-countdown="ISO">). Without JavaScript the page
// keeps the server's text (the programme's time zone).
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
  function localTimes() {
    document.querySelectorAll("time[data-local-time]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      try {
        const text = when.toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
        const zone = new Intl.DateTimeFormat(lang, { timeZoneName: "short" }).formatToParts(when)
          .find((part) => part.type === "timeZoneName");
        if (!el.title) el.title = el.textContent;
        el.textContent = zone ? `${text} (${zone.value})` : text;
      } catch (e) { /* keep the server's text */ }
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    localTimes();
    tick();
    setInterval(tick, 1000);
  });
})();
