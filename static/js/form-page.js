// A page with a typed form that posts as usual (the eligibility check): tables and conditions.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-typed-form]").forEach((form) => {
    if (window.HromadaForm) window.HromadaForm.init(form, null);
  });
});
