// leadflow UI: small enhancements only; every page works without this file.
(function () {
  "use strict";

  // Quick-filter selects apply as soon as one is changed.
  document.querySelectorAll("form[data-filters] select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var form = select.form;
      if (form) {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      }
    });
  });

  // Put the cursor in the first field that needs correcting.
  var invalid = document.querySelector(".record-form [aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  }
})();
