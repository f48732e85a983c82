"""One formatting rule per language (FORMAT_MODULE_PATH): what pages, PDFs, e-mails and exports
show. Dates are day-month-year everywhere (never the ambiguous 12/04/2026), times on the 24-hour
clock, numbers grouped as the language writes them. `static/js/site.js` formats the browser's
times with the same patterns, so server and browser agree."""
