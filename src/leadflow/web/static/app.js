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

  // Builders (filters, view conditions, rule conditions): a row's operators and value
  // widget follow the field picked; the field descriptions come from a JSON script.
  var UNARY_OPS = ["empty", "is_empty", "is_not_empty"];
  var readSpecs = function (container) {
    var node = document.getElementById(container.getAttribute("data-specs") || "filter-specs");
    if (!node) {
      return [];
    }
    var data = JSON.parse(node.textContent);
    if (Array.isArray(data)) {
      return data;
    }
    var by = document.getElementById(container.getAttribute("data-specs-by") || "");
    return data[by ? by.value : container.getAttribute("data-trigger")] || [];
  };
  var findSpec = function (specs, name) {
    for (var i = 0; i < specs.length; i += 1) {
      if (specs[i].name === name) {
        return specs[i];
      }
    }
    return null;
  };
  var option = function (value, label, selected) {
    var node = document.createElement("option");
    node.value = value;
    node.textContent = label;
    node.selected = !!selected;
    return node;
  };
  var valueControl = function (spec, name, value) {
    var control;
    if (spec && spec.options && spec.options.length) {
      control = document.createElement("select");
      spec.options.forEach(function (pair) {
        control.appendChild(option(pair[0], pair[1], pair[0] === value));
      });
    } else {
      control = document.createElement("input");
      var kind = spec ? spec.kind : "text";
      control.type = kind === "number" ? "number" : kind === "date" ? "date" : "text";
      if (kind === "number") {
        control.step = "any";
      }
      control.value = kind === "date" ? (value || "").slice(0, 10) : value || "";
    }
    control.name = name;
    control.setAttribute("data-condition-value", "");
    return control;
  };
  var syncValue = function (row) {
    var op = row.querySelector("[data-condition-op]");
    var holder = row.querySelector(".condition-value");
    if (op && holder) {
      holder.hidden = UNARY_OPS.indexOf(op.value) >= 0;
    }
  };
  var rebuildRow = function (row, specs) {
    var field = row.querySelector("[data-condition-field]");
    var op = row.querySelector("[data-condition-op]");
    var value = row.querySelector("[data-condition-value]");
    var spec = findSpec(specs, field.value);
    if (spec) {
      var previous = op.value;
      op.innerHTML = "";
      spec.ops.forEach(function (pair) {
        op.appendChild(option(pair[0], pair[1], pair[0] === previous));
      });
    }
    if (value) {
      value.parentNode.replaceChild(valueControl(spec, value.name, value.value), value);
    }
    syncValue(row);
  };
  var refillFields = function (row, specs) {
    var field = row.querySelector("[data-condition-field]");
    var chosen = field.value;
    var blank = field.options[0];
    field.innerHTML = "";
    field.appendChild(blank);
    specs.forEach(function (spec) {
      field.appendChild(option(spec.name, spec.label, spec.name === chosen));
    });
  };
  var wireRow = function (row, container) {
    row.querySelector("[data-condition-field]").addEventListener("change", function () {
      rebuildRow(row, readSpecs(container));
    });
    row.querySelector("[data-condition-op]").addEventListener("change", function () {
      syncValue(row);
    });
    var remove = row.querySelector("[data-condition-remove]");
    if (remove) {
      remove.addEventListener("click", function () {
        if (container.querySelectorAll("[data-condition]").length > 1) {
          row.parentNode.removeChild(row);
        } else {
          row.querySelector("[data-condition-field]").value = "";
          rebuildRow(row, readSpecs(container));
        }
      });
    }
    syncValue(row);
  };
  document.querySelectorAll("[data-conditions], form[data-filters] .more-filters").forEach(function (container) {
    container.querySelectorAll("[data-condition]").forEach(function (row) {
      wireRow(row, container);
    });
    var add = container.parentNode.querySelector("[data-condition-add]");
    if (add) {
      add.addEventListener("click", function () {
        var rows = container.querySelectorAll("[data-condition]");
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.querySelector("[data-condition-field]").value = "";
        container.appendChild(copy);
        rebuildRow(copy, readSpecs(container));
        wireRow(copy, container);
        copy.querySelector("[data-condition-field]").focus();
      });
    }
    var by = document.getElementById(container.getAttribute("data-specs-by") || "");
    if (by) {
      by.addEventListener("change", function () {
        var specs = readSpecs(container);
        container.querySelectorAll("[data-condition]").forEach(function (row) {
          refillFields(row, specs);
          rebuildRow(row, specs);
        });
      });
    }
  });

  // Rule actions: a row shows the parameters of the action picked.
  var wireAction = function (row) {
    var type = row.querySelector("[data-action-type]");
    var show = function () {
      row.querySelectorAll("[data-action-params]").forEach(function (group) {
        group.hidden = group.getAttribute("data-action-params") !== type.value;
      });
    };
    type.addEventListener("change", show);
    show();
    // "Set a field": the new value is picked the way the chosen field takes it.
    row.querySelectorAll("[data-action-params='set_field']").forEach(function (group) {
      var field = group.querySelector("select");
      var follow = function () {
        var value = group.querySelector("[data-field-value]");
        var facts = document.getElementById("rule-facts");
        if (!field || !value || !facts) {
          return;
        }
        var all = JSON.parse(facts.textContent);
        var specs = all[Object.keys(all)[0]] || [];
        var control = valueControl(findSpec(specs, field.value), value.name, value.value);
        control.setAttribute("data-field-value", "");
        value.parentNode.replaceChild(control, value);
      };
      if (field) {
        field.addEventListener("change", follow);
        follow();
      }
    });
  };
  document.querySelectorAll("[data-actions]").forEach(function (list) {
    list.querySelectorAll("[data-action]").forEach(wireAction);
    var add = list.parentNode.querySelector("[data-action-add]");
    if (add) {
      add.addEventListener("click", function () {
        var rows = list.querySelectorAll("[data-action]");
        var copy = rows[rows.length - 1].cloneNode(true);
        var index = rows.length;
        copy.querySelectorAll("[name]").forEach(function (node) {
          node.name = node.name.replace(/^a\d+\./, "a" + index + ".");
          if (node.type === "checkbox") {
            node.checked = false;
          } else if (node.tagName === "SELECT") {
            node.selectedIndex = 0;
          } else {
            node.value = "";
          }
        });
        var label = copy.querySelector("label");
        if (label && label.firstChild) {
          label.firstChild.textContent = "Action " + (index + 1) + " ";
        }
        list.appendChild(copy);
        wireAction(copy);
        copy.querySelector("[data-action-type]").focus();
      });
    }
  });

  // Scoring conditions: a field condition shows the field inputs, a behaviour one the rest.
  document.querySelectorAll("select[data-cond-type]").forEach(function (type) {
    var box = type.closest("fieldset");
    var show = function () {
      box.querySelectorAll("[data-for]").forEach(function (item) {
        item.hidden = item.getAttribute("data-for") !== type.value;
      });
    };
    type.addEventListener("change", show);
    show();
  });

  // Scoring behaviour: the "which one" list offers the pages, forms or events of the kind picked.
  document.querySelectorAll("select[data-interaction-kind]").forEach(function (kind) {
    var target = kind.form && kind.form.querySelector("select[data-interaction-target]");
    if (!target) {
      return;
    }
    var filter = function () {
      target.querySelectorAll("optgroup").forEach(function (group) {
        var fits = (" " + group.getAttribute("data-kinds") + " ").indexOf(" " + kind.value + " ") >= 0;
        group.hidden = !fits;
        group.disabled = !fits;
      });
      var chosen = target.options[target.selectedIndex];
      if (chosen && chosen.parentNode.disabled) {
        target.value = "";
      }
    };
    kind.addEventListener("change", filter);
    filter();
  });

  // Phone width: the main navigation folds behind a menu button.
  var menu = document.querySelector("[data-menu-toggle]");
  if (menu) {
    var bar = document.querySelector(".topbar");
    menu.hidden = false;
    bar.classList.add("has-menu");
    menu.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // A box that scrolls sideways (a wide table, the process bar on a phone) can be
  // scrolled from the keyboard: focusable, and named after its section. Checked again
  // when the window narrows (a tablet turned, a window made smaller), where a table
  // that fitted starts to scroll.
  function markScrollingBoxes() {
    document.querySelectorAll(".table-wrap, .process-bar .stages").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        if (box.tagName === "DIV") {
          var section = box.closest("section, .card");
          var heading = section && section.querySelector("h1, h2, h3");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", heading ? heading.textContent.trim() : "Table");
        }
      }
    });
  }
  markScrollingBoxes();
  // Resize events already come at most once a frame.
  window.addEventListener("resize", markScrollingBoxes);

  // Put the cursor in the first field that needs correcting.
  var invalid = document.querySelector(".record-form [aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  }
})();
