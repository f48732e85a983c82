// The builder's preview: the form behaves as the applicant's (tables, conditions); nothing is saved.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("preview-form");
  if (form && window.HromadaForm) {
    window.HromadaForm.init(form, null);
    form.addEventListener("submit", (event) => event.preventDefault());
  }
});
