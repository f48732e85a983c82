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
    if (table.closest(".table-scroll")) return;
    const region = document.createElement("div");
    region.className = "table-scroll";
    region.setAttribute("role", "region");
    region.tabIndex = 0;
    const caption = table.querySelector("caption");
    let heading = null;
    for (let el = table.previousElementSibling; el && !heading; el = el.previousElementSibling) {
      if (/^H[1-6]$/.test(el.tagName)) heading = el;
    }
    if (!heading) heading = table.closest("section")?.querySelector("h1, h2, h3");
    const name = (caption || heading)?.textContent.trim();
    if (name) region.setAttribute("aria-label", name);
    table.parentNode.insertBefore(region, table);
    region.append(table);
  });
  // Show deadlines in the visitor's own time zone.
  document.querySelectorAll("time[data-local-time]").forEach((el) => {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) {
      el.title = el.textContent;
      el.textContent = when.toLocaleString(document.documentElement.lang, {
        year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
      });
    }
  });
});
