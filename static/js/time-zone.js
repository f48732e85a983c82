// When a person has not chosen a time zone, offer the browser's (they still save it themselves).
(function () {
  "use strict";
  var select = document.querySelector("select[data-browser-time-zone]");
  if (!select || select.value) return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.value = zone;
      var note = document.querySelector("[data-browser-zone-note]");
      if (note) note.hidden = false;
      return;
    }
  }
})();
