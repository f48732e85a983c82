// Progressive enhancement only: every form works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
    const button = select.form.querySelector("button[type=submit]");
    if (button) button.classList.add("visually-hidden");
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
