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

  // A job page follows its job: poll the API while it runs, update the bar in place,
  // and reload once it ends so the result and the final state come from the server.
  var job = document.querySelector("[data-job-url][data-job-active]");
  if (job && window.fetch) {
    var url = job.getAttribute("data-job-url");
    var set = function (selector, text) {
      var node = job.querySelector(selector);
      if (node) {
        node.textContent = text;
      }
    };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data) {
            return;
          }
          var bar = job.querySelector("progress.job-progress");
          if (bar) {
            bar.max = data.total || 1;
            bar.value = data.done;
          }
          set(".job-done", data.done);
          set(".job-total", data.total);
          set(".job-percent", data.percent === null ? "" : data.percent + "%");
          set(".job-status", data.status);
          set(".job-started", (data.started_at || "").slice(0, 19).replace("T", " "));
          var badge = job.querySelector(".job-status");
          if (badge) {
            badge.className = "badge job-status job-" + data.status;
          }
          if (data.status === "queued" || data.status === "running") {
            window.setTimeout(poll, 1000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () {
          window.setTimeout(poll, 3000);
        });
    };
    window.setTimeout(poll, 1000);
  }

  // On a narrow screen the settings tabs scroll: show the open one.
  var activeTab = document.querySelector(".tabs a.active");
  if (activeTab && activeTab.parentElement.scrollWidth > activeTab.parentElement.clientWidth) {
    activeTab.parentElement.scrollLeft =
      activeTab.offsetLeft - activeTab.parentElement.offsetLeft - 16;
  }

  // Put the cursor in the first field that needs correcting.
  var invalid = document.querySelector(".record-form [aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  }
})();
