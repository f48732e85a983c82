// "Select every row on this page": a checkbox in a list's header ticks or clears the rows'
// checkboxes of the same name. Without JavaScript it stays hidden and rows are ticked one by one.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-select-all]").forEach((all) => {
      const name = all.dataset.selectAll;
      const rows = () => document.querySelectorAll(`input[type=checkbox][name="${name}"]`);
      all.hidden = false;
      all.addEventListener("change", () => rows().forEach((box) => { box.checked = all.checked; }));
      rows().forEach((box) => box.addEventListener("change", () => {
        const boxes = Array.from(rows());
        all.checked = boxes.every((b) => b.checked);
        all.indeterminate = !all.checked && boxes.some((b) => b.checked);
      }));
    });
  });
})();
