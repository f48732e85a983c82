// The shortlist's requested total against the call's envelope, updated as concept notes are ticked.
// PRAG suggests about twice the envelope; the page shows the ratio and refuses nothing on it.
(function () {
  const form = document.getElementById("shortlist-form");
  const out = document.getElementById("shortlist-ratio");
  if (!form || !out) return;
  const envelope = parseFloat(out.dataset.envelope) || 0;
  const fmt = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 2 });
  function update() {
    let total = 0;
    let count = 0;
    form.querySelectorAll("input[name=application]:checked").forEach((box) => {
      total += parseFloat(box.dataset.requested) || 0;
      count += 1;
    });
    const ratio = envelope ? total / envelope : 0;
    out.querySelector("[data-count]").textContent = fmt.format(count);
    out.querySelector("[data-total]").textContent = fmt.format(total);
    out.querySelector("[data-ratio]").textContent = fmt.format(Math.round(ratio * 100) / 100);
  }
  form.addEventListener("change", update);
  update();
})();
