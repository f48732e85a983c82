// Progressive enhancement only: every form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // No select submits its form by itself (WCAG 3.2.2, and arrow keys would fire it): a button does.
  // On a phone, the navigation and header tools fold behind the "Menu" button.
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.hidden = false;
    document.documentElement.classList.add("menu-folds");
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }
  // Wide tables scroll inside their own region (keyboard-focusable, named after the table's
  // caption or the heading before it), so the page itself never scrolls sideways.
  document.querySelectorAll("main table").forEach((table) => {
    let region = table.closest(".table-scroll");
    if (!region) {
      region = document.createElement("div");
      region.className = "table-scroll";
      table.parentNode.insertBefore(region, table);
      region.append(table);
    }
    region.setAttribute("role", "region");
    region.tabIndex = 0;
    if (region.hasAttribute("aria-label") || region.hasAttribute("aria-labelledby")) return;
    const caption = table.querySelector("caption");
    let heading = null;
    for (let el = region.previousElementSibling; el && !heading; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) heading = el;
    }
    if (!heading) heading = region.closest("section")?.querySelector("h1, h2, h3");
    const name = (caption || heading)?.textContent.trim();
    if (name) region.setAttribute("aria-label", name);
  });
  // Times in the visitor's own time zone: <time datetime="ISO" data-local-time>.
  document.querySelectorAll("time[data-local-time]").forEach(localTime);
});

// One formatting rule with the server (config/formats, core.formatting.moment_text): en
// "4 Dec 2026, 17:00 (Kyiv)", uk "4 грудня 2026 р., 17:00 (Київ)", hy "04.12.2026, 17:00 (Kyiv)".
// When the visitor's clock shows the same hour as the server's zone, the server's text stays
// (it already names the city in the page's language); otherwise the time is rewritten in the
// visitor's zone, in the same pattern, named by the zone's city.
const EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function serverOffsetMinutes(iso) {
  const match = /([+-])(\d\d):?(\d\d)$/.exec(iso);
  if (!match) return /Z$/.test(iso) ? 0 : null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

function momentText(when, lang) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const name = zone === "Europe/Kiev" ? "Europe/Kyiv" : zone;  // ICU still says Kiev
  const city = name === "UTC" || name === "Etc/UTC" ? "UTC" : name.split("/").pop().replace(/_/g, " ");
  const parts = {};
  new Intl.DateTimeFormat("en-GB", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(when).forEach((part) => { parts[part.type] = part.value; });
  const day = String(Number(parts.day));
  const time = `${parts.hour}:${parts.minute}`;
  const language = (lang || "en").slice(0, 2);
  if (language === "uk") {
    const month = new Intl.DateTimeFormat("uk", { day: "numeric", month: "long" }).formatToParts(when)
      .find((part) => part.type === "month").value;
    return `${day} ${month} ${parts.year} р., ${time} (${city})`;
  }
  // Armenian, Georgian, Romanian, Azerbaijani and Russian: day.month.year (config/formats).
  if (["hy", "ka", "ro", "az", "ru"].includes(language)) return `${parts.day}.${parts.month}.${parts.year}, ${time} (${city})`;
  return `${day} ${EN_MONTHS[Number(parts.month) - 1]} ${parts.year}, ${time} (${city})`;
}

function localTime(el) {
  const iso = el.getAttribute("datetime") || "";
  const when = new Date(iso);
  if (isNaN(when)) return;
  const offset = serverOffsetMinutes(iso);
  if (offset !== null && offset === -when.getTimezoneOffset()) return;  // the same clock: keep the server's text
  try {
    if (!el.title) el.title = el.textContent.trim();
    el.textContent = momentText(when, document.documentElement.lang);
  } catch (e) { /* keep the server's text */ }
}
