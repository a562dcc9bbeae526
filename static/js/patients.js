/*
 * Patients app pages (templates/patients/), loaded with `defer` by the pages that need it
 * through base.html's `app_scripts` block.
 *
 * [data-print]: a button that opens the browser's print dialog (the demographics sheet).
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (!button) return;
    event.preventDefault();
    window.print();
  });
})();
