// leadflow journey designer: the journey's tiles drawn as a flow, top to bottom, each
// branch of an if/then or a split side by side. A "+" between tiles adds one from a
// menu; a tile opens in the panel beside the flow, where its settings are picked from
// lists (emails, segments, fields, users by name; durations with units). The script
// keeps the definition in the form's hidden "definition" field. Nobody types JSON.
(function () {
  "use strict";

  // Settings: fields that only matter for one choice show with it (re-entry days,
  // the start event's form or segment, the send window's days and hours).
  document.querySelectorAll("[data-shows]").forEach(function (control) {
    var name = control.getAttribute("data-shows");
    var follow = function () {
      var value = control.type === "checkbox" ? (control.checked ? "1" : "") : control.value;
      document.querySelectorAll('[data-when="' + name + '"]').forEach(function (item) {
        var values = (item.getAttribute("data-values") || "").split(" ");
        item.hidden = values.indexOf(value) < 0;
      });
    };
    control.addEventListener("change", follow);
    follow();
  });

  var root = document.getElementById("journey-flow");
  var panel = document.getElementById("journey-panel");
  var hidden = document.getElementById("journey-definition");
  var catalogueNode = document.getElementById("journey-catalogue");
  if (!root || !panel || !hidden || !catalogueNode) {
    return;
  }
  var catalogue = JSON.parse(catalogueNode.textContent);
  var readonly = root.getAttribute("data-readonly") === "true";
  var counts = readJson("journey-counts");
  var errors = readJson("journey-errors") || [];
  var definition;
  try {
    definition = JSON.parse(hidden.value);
  } catch (error) {
    definition = null;
  }
  if (!definition || !Array.isArray(definition.tiles)) {
    definition = { start: "", tiles: [] };
  }
  var selected = null;
  var openMenu = null;

  var KINDS = [
    ["send_email", "Send an email"],
    ["wait", "Wait"],
    ["condition", "If/then"],
    ["split", "Random split"],
    ["create_lead", "Create a lead"],
    ["update_field", "Update a field"],
    ["create_task", "Create a task"],
    ["webhook", "Call a webhook"],
    ["action", "Run an action"],
    ["end", "End"]
  ];
  var KIND_NAMES = {};
  KINDS.forEach(function (pair) {
    KIND_NAMES[pair[0]] = pair[1];
  });
  var SLUGS = {
    send_email: "email",
    wait: "wait",
    condition: "if",
    split: "split",
    create_lead: "lead",
    update_field: "field",
    create_task: "task",
    webhook: "hook",
    action: "action",
    end: "end"
  };
  var CHECKS = [
    ["email_opened", "Opened an email"],
    ["email_clicked", "Clicked a link in an email"],
    ["form_submitted", "Submitted a form"],
    ["page_visited", "Visited a page"],
    ["event_registered", "Registered for an event"],
    ["event_attended", "Attended an event"]
  ];
  var CHECK_TARGETS = {
    form_submitted: "forms",
    page_visited: "pages",
    event_registered: "events",
    event_attended: "events"
  };
  var UNITS = [
    ["minutes", "minutes", 1],
    ["hours", "hours", 60],
    ["days", "days", 1440],
    ["weeks", "weeks", 10080]
  ];
  var WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) {
      return null;
    }
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  // --- small DOM helpers ------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value === true ? "" : value);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  var uid = 0;
  function nextId(prefix) {
    uid += 1;
    return "jd-" + prefix + "-" + uid;
  }

  function field(labelText, control, hint) {
    var id = control.id || nextId("f");
    control.id = id;
    if (readonly) {
      control.disabled = true;
    }
    return el("div", { className: "field" }, [
      el("label", { for: id, text: labelText }),
      control,
      hint ? el("p", { className: "hint", text: hint }) : null
    ]);
  }

  function selectBox(options, value, onChange, allowEmpty) {
    var box = el("select");
    if (allowEmpty) {
      box.appendChild(el("option", { value: "", text: allowEmpty }));
    }
    options.forEach(function (pair) {
      var option = el("option", { value: String(pair[0]), text: pair[1] });
      if (value !== null && value !== undefined && String(pair[0]) === String(value)) {
        option.selected = true;
      }
      box.appendChild(option);
    });
    box.addEventListener("change", function () {
      onChange(box.value);
    });
    return box;
  }

  function textBox(value, onInput, type) {
    var box = el("input", { type: type || "text" });
    box.value = value === null || value === undefined ? "" : String(value);
    box.addEventListener("input", function () {
      onInput(box.value);
    });
    return box;
  }

  function checkBox(labelText, checked, onChange) {
    var box = el("input", { type: "checkbox" });
    box.checked = !!checked;
    if (readonly) {
      box.disabled = true;
    }
    box.addEventListener("change", function () {
      onChange(box.checked);
    });
    return el("label", { className: "check" }, [box, labelText]);
  }

  function nameOf(list, id) {
    var found = null;
    (catalogue[list] || []).forEach(function (pair) {
      if (String(pair[0]) === String(id)) {
        found = pair[1];
      }
    });
    return found;
  }

  // --- the definition as a graph ------------------------------------------------------

  function tileOf(id) {
    var found = null;
    definition.tiles.forEach(function (tile) {
      if (tile.id === id) {
        found = tile;
      }
    });
    return found;
  }

  // The places a tile leads on from: [{label, get, set}] in the order they are drawn.
  function exits(tile) {
    if (tile.kind === "end") {
      return [];
    }
    if (tile.kind === "condition") {
      return [
        { label: "Yes", key: "yes", get: function () { return tile.yes || null; }, set: function (v) { tile.yes = v; } },
        { label: "No", key: "no", get: function () { return tile.no || null; }, set: function (v) { tile.no = v; } }
      ];
    }
    if (tile.kind === "split") {
      return tile.branches.map(function (branch, index) {
        return {
          label: (branch.label || "Branch " + (index + 1)) + " · " + branch.percent + "%",
          key: "branch" + index,
          get: function () { return branch.next || null; },
          set: function (v) { branch.next = v; }
        };
      });
    }
    return [{ label: "", key: "next", get: function () { return tile.next || null; }, set: function (v) { tile.next = v; } }];
  }

  var startSlot = {
    get: function () { return definition.start || null; },
    set: function (v) { definition.start = v || ""; }
  };

  function reachable() {
    var seen = {};
    var stack = [definition.start];
    while (stack.length) {
      var id = stack.pop();
      if (!id || seen[id]) {
        continue;
      }
      var tile = tileOf(id);
      if (!tile) {
        continue;
      }
      seen[id] = true;
      exits(tile).forEach(function (exit) {
        stack.push(exit.get());
      });
    }
    return seen;
  }

  function prune() {
    var keep = reachable();
    definition.tiles = definition.tiles.filter(function (tile) {
      return keep[tile.id];
    });
  }

  function freshId(kind) {
    var base = SLUGS[kind] || "tile";
    var n = 1;
    while (tileOf(base + n)) {
      n += 1;
    }
    return base + n;
  }

  function journeyOwnerLabel() {
    return catalogue.journey_owner ? "The journey's owner (" + catalogue.journey_owner + ")" : "The journey's owner";
  }

  // Whom a tile's lead or task goes to: the journey's owner (the default), or a user
  // picked by name; a task may also go to the lead's owner.
  function ownerBox(current, withLeadOwner, onChange) {
    var options = [["journey_owner", journeyOwnerLabel()]];
    if (withLeadOwner) {
      options.push(["lead_owner", "The lead's owner"]);
    }
    (catalogue.users || []).forEach(function (pair) {
      options.push(["user:" + pair[0], pair[1]]);
    });
    return selectBox(options, current, function (v) {
      if (v.indexOf("user:") === 0) {
        onChange("user", Number(v.slice(5)));
      } else {
        onChange(v || "journey_owner", null);
      }
    });
  }

  function first(list) {
    var items = catalogue[list] || [];
    return items.length ? items[0][0] : null;
  }

  function newTile(kind) {
    var tile = { id: freshId(kind), kind: kind, label: "" };
    if (kind === "send_email") {
      tile.template_id = first("templates");
      tile.next = null;
    } else if (kind === "wait") {
      tile.duration_minutes = 1440;
      tile.until = null;
      tile.window = null;
      tile.next = null;
    } else if (kind === "condition") {
      tile.any_of = true;
      tile.checks = [{ kind: "email_opened", template_id: null, url: null, target_id: null }];
      tile.timeout_minutes = 3 * 1440;
      tile.per_account = false;
      tile.yes = null;
      tile.no = null;
    } else if (kind === "split") {
      tile.branches = [
        { percent: 50, next: null, label: "A" },
        { percent: 50, next: null, label: "B" }
      ];
    } else if (kind === "create_lead") {
      tile.create_for = "contact";
      tile.last_name_placeholder = "";
      tile.owner_id = null;
      tile.next = null;
    } else if (kind === "update_field") {
      tile.entity = "contact";
      var fields = (catalogue.fields || {}).contact || [];
      tile.field = fields.length ? fields[0].name : "";
      tile.value = "";
      tile.next = null;
    } else if (kind === "create_task") {
      tile.title = "Follow up";
      tile.owner = "journey_owner";
      tile.user_id = null;
      tile.due_in_days = 1;
      tile.next = null;
    } else if (kind === "webhook") {
      tile.url = "https://";
      tile.next = null;
    } else if (kind === "action") {
      var actions = catalogue.actions || [];
      tile.action = actions.length ? actions[0].type : "";
      tile.settings = {};
      tile.next = null;
    }
    return tile;
  }

  // A new tile goes in the slot; what followed the slot follows the new tile (its
  // first branch for an if/then or a split).
  function insert(slot, kind) {
    var tile = newTile(kind);
    var after = slot.get();
    definition.tiles.push(tile);
    var out = exits(tile);
    if (out.length) {
      out[0].set(after);
    }
    slot.set(tile.id);
    prune();
    selected = tile.id;
    sync();
    render();
    renderPanel();
    focusTile(tile.id);
  }

  function parentSlotOf(id) {
    if (definition.start === id) {
      return startSlot;
    }
    var found = null;
    definition.tiles.forEach(function (tile) {
      exits(tile).forEach(function (exit) {
        if (!found && exit.get() === id) {
          found = exit;
        }
      });
    });
    return found;
  }

  // A tile leaves; what followed it (its first branch) takes its place.
  function remove(id) {
    var tile = tileOf(id);
    if (!tile) {
      return;
    }
    var out = exits(tile);
    if (out.length > 1) {
      var dropped = out.slice(1).some(function (exit) {
        return exit.get();
      });
      if (dropped && !window.confirm("Remove this tile and the tiles of its other branches? The tiles of its first branch stay.")) {
        return;
      }
    }
    var keep = out.length ? out[0].get() : null;
    definition.tiles.forEach(function (other) {
      exits(other).forEach(function (exit) {
        if (exit.get() === id) {
          exit.set(keep);
        }
      });
    });
    if (definition.start === id) {
      definition.start = keep || "";
    }
    prune();
    if (selected === id) {
      selected = null;
    }
    sync();
    render();
  }

  // --- words --------------------------------------------------------------------------

  function duration(minutes) {
    if (minutes === null || minutes === undefined || minutes === "") {
      return "";
    }
    var unit = bestUnit(minutes);
    var amount = minutes / unit[2];
    var word = unit[1];
    if (amount === 1) {
      word = word.replace(/s$/, "");
    }
    return amount + " " + word;
  }

  function bestUnit(minutes) {
    var chosen = UNITS[0];
    UNITS.forEach(function (unit) {
      if (minutes && minutes % unit[2] === 0) {
        chosen = unit;
      }
    });
    return chosen;
  }

  function windowWords(win) {
    if (!win) {
      return "";
    }
    var days = (win.weekdays || []).slice().sort().map(function (d) {
      return WEEKDAYS[d];
    });
    return days.join(", ") + " " + win.start_hour + ":00–" + win.end_hour + ":00";
  }

  function checkWords(check) {
    var words = {
      email_opened: "opened",
      email_clicked: "clicked",
      form_submitted: "submitted",
      page_visited: "visited",
      event_registered: "registered for",
      event_attended: "attended"
    }[check.kind] || check.kind;
    if (check.kind === "email_opened" || check.kind === "email_clicked") {
      var name = check.template_id ? nameOf("templates", check.template_id) : null;
      words += name ? " '" + name + "'" : " any email";
      if (check.kind === "email_clicked" && check.url) {
        words += " (" + check.url + ")";
      }
      return words;
    }
    var list = CHECK_TARGETS[check.kind];
    var target = check.target_id ? nameOf(list, check.target_id) : null;
    var anyWords = { forms: " any form", pages: " any page", events: " any event" }[list];
    return words + (target ? " '" + target + "'" : check.target_id ? " " + check.target_id : anyWords);
  }

  function fieldLabel(entity, name) {
    var found = name;
    ((catalogue.fields || {})[entity] || []).forEach(function (f) {
      if (f.name === name) {
        found = f.label;
      }
    });
    return found;
  }

  function summary(tile) {
    switch (tile.kind) {
      case "send_email":
        var template = tile.template_id ? nameOf("templates", tile.template_id) : null;
        return template ? "'" + template + "'" : "No email picked";
      case "wait":
        var text = tile.until ? "until " + String(tile.until).replace("T", " ").slice(0, 16) : duration(tile.duration_minutes);
        return text + (tile.window ? " · " + windowWords(tile.window) : "");
      case "condition":
        var joined = (tile.checks || []).map(checkWords).join(tile.any_of ? " or " : " and ");
        return "If " + joined + " within " + duration(tile.timeout_minutes);
      case "split":
        return tile.branches.map(function (b) { return b.percent + "%"; }).join(" / ");
      case "create_lead":
        return (tile.create_for === "account" ? "For the account" : "For the contact") + ", owner: " + (tile.owner_id ? nameOf("users", tile.owner_id) || "a user" : "the journey's owner");
      case "update_field":
        var entityName = { contact: "Contact", account: "Account", lead: "Lead" }[tile.entity] || tile.entity;
        return entityName + ": " + fieldLabel(tile.entity, tile.field) + " = " + (tile.value === null || tile.value === "" ? "(empty)" : tile.value);
      case "create_task":
        var owner = tile.owner === "user" ? nameOf("users", tile.user_id) || "a user" : tile.owner === "lead_owner" ? "the lead's owner" : "the journey's owner";
        return "'" + (tile.title || "") + "' for " + owner;
      case "webhook":
        return tile.url || "";
      case "action":
        var label = tile.action;
        (catalogue.actions || []).forEach(function (a) {
          if (a.type === tile.action) {
            label = a.label;
          }
        });
        return label;
      case "end":
        return "Contacts finish here";
      default:
        return "";
    }
  }

  function countWords(tile) {
    if (!counts) {
      return [];
    }
    var c = counts[tile.id] || {};
    var parts = [];
    var number = function (key) {
      return c[key] || 0;
    };
    parts.push([number("active") + " active", "active"]);
    if (tile.kind === "condition") {
      parts.push([number("yes") + " yes", "yes"]);
      parts.push([number("no") + " no", "no"]);
    } else if (tile.kind === "split") {
      var branches = c.branches || [];
      tile.branches.forEach(function (branch, index) {
        var n = branches[index] !== undefined ? branches[index] : c["branch_" + index] || 0;
        parts.push([(branch.label || "Branch " + (index + 1)) + ": " + n, "branch"]);
      });
    } else {
      parts.push([number("passed") + " passed", "passed"]);
    }
    return parts;
  }

  // --- errors from the server -----------------------------------------------------------

  function errorsOf(tileId) {
    return errors.filter(function (item) {
      return item.tile === tileId;
    });
  }

  // --- the flow -----------------------------------------------------------------------

  function closeMenu() {
    if (openMenu) {
      openMenu.menu.remove();
      openMenu.button.setAttribute("aria-expanded", "false");
      openMenu = null;
    }
  }

  function addButton(slot, where, atEnd) {
    var wrap = el("div", { className: atEnd ? "jf-add jf-add-end" : "jf-add" });
    if (readonly) {
      return atEnd ? el("div", { className: "jf-end-mark", text: "End" }) : el("div", { className: "jf-line" });
    }
    var button = el("button", {
      type: "button",
      className: "jf-add-button",
      "aria-label": "Add a tile " + where,
      "aria-expanded": "false",
      title: "Add a tile " + where
    }, ["+"]);
    button.addEventListener("click", function (event) {
      event.stopPropagation();
      if (openMenu && openMenu.button === button) {
        closeMenu();
        return;
      }
      closeMenu();
      var menu = el("div", { className: "jf-menu", role: "group", "aria-label": "Tiles to add" });
      KINDS.forEach(function (pair) {
        // An end only where nothing follows: it would cut the flow short.
        if (pair[0] === "end" && slot.get()) {
          return;
        }
        var item = el("button", { type: "button", className: "jf-menu-item kind-" + pair[0], text: pair[1] });
        item.addEventListener("click", function () {
          closeMenu();
          insert(slot, pair[0]);
        });
        menu.appendChild(item);
      });
      wrap.appendChild(menu);
      button.setAttribute("aria-expanded", "true");
      openMenu = { menu: menu, button: button };
      menu.querySelector("button").focus();
    });
    wrap.appendChild(button);
    if (atEnd) {
      wrap.appendChild(el("span", { className: "jf-end-mark", text: "End" }));
    }
    return wrap;
  }

  function tileTitle(tile) {
    return tile.label || KIND_NAMES[tile.kind] || tile.kind;
  }

  function tileView(tile) {
    var problems = errorsOf(tile.id);
    var box = el("div", {
      className: "jf-tile kind-" + tile.kind + (selected === tile.id ? " selected" : "") + (problems.length ? " has-error" : ""),
      "data-tile": tile.id
    });
    // Its name is what it shows (kind, label, summary), after a hidden "Edit:".
    var open = el("button", {
      type: "button",
      className: "jf-tile-open",
      "aria-pressed": selected === tile.id ? "true" : "false"
    }, [
      el("span", { className: "visually-hidden", text: "Edit: " }),
      el("span", { className: "jf-kind", text: KIND_NAMES[tile.kind] || tile.kind }),
      el("span", { className: "jf-title", text: tile.label || "" }),
      el("span", { className: "jf-summary", text: summary(tile) })
    ]);
    open.addEventListener("click", function () {
      selected = tile.id;
      render();
      renderPanel();
      focusPanel();
    });
    box.appendChild(open);
    var parts = countWords(tile);
    if (parts.length) {
      var list = el("ul", { className: "jf-counts", "aria-label": "Contacts at " + tileTitle(tile) });
      parts.forEach(function (part) {
        list.appendChild(el("li", { className: "jf-count-" + part[1], text: part[0] }));
      });
      box.appendChild(list);
    }
    problems.forEach(function (problem) {
      box.appendChild(el("p", { className: "field-error jf-error", role: "alert", text: problem.message }));
    });
    return box;
  }

  function chainView(slot, where, seen) {
    var list = el("ol", { className: "jf-chain" });
    var current = slot;
    var place = where;
    var guard = 0;
    for (;;) {
      guard += 1;
      if (guard > 500) {
        break;
      }
      var id = current.get();
      var tile = id ? tileOf(id) : null;
      if (!tile) {
        list.appendChild(el("li", { className: "jf-step" }, [addButton(current, place, true)]));
        break;
      }
      if (seen[tile.id]) {
        list.appendChild(el("li", { className: "jf-step" }, [
          addButton(current, place, false),
          el("div", { className: "jf-goto", text: "Continues at " + tileTitle(tile) })
        ]));
        break;
      }
      seen[tile.id] = true;
      list.appendChild(el("li", { className: "jf-step" }, [addButton(current, place, false), tileView(tile)]));
      var out = exits(tile);
      if (!out.length) {
        break;
      }
      if (out.length === 1) {
        current = out[0];
        place = "after " + tileTitle(tile);
        continue;
      }
      var branches = el("div", { className: "jf-branches jf-branches-" + out.length });
      out.forEach(function (exit) {
        branches.appendChild(el("div", { className: "jf-branch jf-branch-" + exit.key }, [
          el("div", { className: "jf-branch-head", text: exit.label }),
          chainView(exit, "in branch " + exit.label + " of " + tileTitle(tile), seen)
        ]));
      });
      list.appendChild(el("li", { className: "jf-step jf-split-step" }, [branches]));
      break;
    }
    return list;
  }

  function render() {
    closeMenu();
    root.textContent = "";
    var general = errors.filter(function (item) {
      return !item.tile;
    });
    general.forEach(function (problem) {
      root.appendChild(el("p", { className: "field-error jf-error", role: "alert", text: problem.message }));
    });
    root.appendChild(el("div", { className: "jf-canvas" }, [
      el("div", { className: "jf-start", text: "Contacts enter" }),
      chainView(startSlot, "at the start", {})
    ]));
  }

  function focusTile(id) {
    var node = root.querySelector('[data-tile="' + id + '"] .jf-tile-open');
    if (node) {
      node.focus();
    }
  }

  function focusPanel() {
    var first = panel.querySelector("input, select, textarea, button");
    if (window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
      panel.scrollIntoView({ block: "start" });
    }
    if (first) {
      first.focus({ preventScroll: true });
    }
  }

  // The flow is redrawn as the panel's inputs change (summaries and words follow).
  function changed() {
    sync();
    var focused = document.activeElement;
    render();
    if (focused && panel.contains(focused)) {
      focused.focus();
    }
  }

  var loaded = null;
  function sync() {
    hidden.value = JSON.stringify(definition);
    if (loaded === null) {
      loaded = hidden.value;
    }
  }

  function edited() {
    return loaded !== null && hidden.value !== loaded;
  }

  // --- the panel: one tile's settings -----------------------------------------------------

  function durationField(labelText, minutes, onChange, hint) {
    var unit = bestUnit(minutes || 0);
    var amount = el("input", { type: "number", min: "0", step: "1", className: "jd-amount" });
    amount.value = minutes === null || minutes === undefined ? "" : String(minutes / unit[2]);
    var units = el("select", { className: "jd-unit", "aria-label": labelText + ": unit" });
    UNITS.forEach(function (u) {
      var option = el("option", { value: u[0], text: u[1] });
      option.selected = u[0] === unit[0];
      units.appendChild(option);
    });
    var update = function () {
      var factor = 1;
      UNITS.forEach(function (u) {
        if (u[0] === units.value) {
          factor = u[2];
        }
      });
      var value = amount.value === "" ? null : Math.round(Number(amount.value) * factor);
      onChange(value);
    };
    amount.addEventListener("input", update);
    units.addEventListener("change", update);
    if (readonly) {
      units.disabled = true;
    }
    var wrap = field(labelText, amount, hint);
    wrap.classList.add("jd-duration");
    wrap.insertBefore(el("div", { className: "jd-duration-row" }, [amount, units]), wrap.children[1]);
    return wrap;
  }

  function windowFields(current, onChange, legendText) {
    var win = current;
    var box = el("fieldset", { className: "jd-window" }, [el("legend", { text: legendText })]);
    var inner = el("div", { className: "jd-window-inner" });
    var toggle = checkBox("Only inside a window", !!win, function (on) {
      win = on ? { weekdays: [0, 1, 2, 3, 4], start_hour: 9, end_hour: 17 } : null;
      onChange(win);
      renderPanel();
    });
    box.appendChild(toggle);
    if (win) {
      var days = el("div", { className: "checks", role: "group", "aria-label": "Weekdays" });
      WEEKDAYS.forEach(function (name, index) {
        days.appendChild(checkBox(name, win.weekdays.indexOf(index) >= 0, function (on) {
          var list = win.weekdays.filter(function (d) {
            return d !== index;
          });
          if (on) {
            list.push(index);
          }
          list.sort();
          win.weekdays = list;
          onChange(win);
        }));
      });
      inner.appendChild(days);
      var hours = [];
      for (var h = 0; h <= 24; h += 1) {
        hours.push([h, (h < 10 ? "0" : "") + h + ":00"]);
      }
      inner.appendChild(el("div", { className: "jd-row" }, [
        field("From", selectBox(hours.slice(0, 24), win.start_hour, function (v) {
          win.start_hour = Number(v);
          onChange(win);
        })),
        field("To", selectBox(hours.slice(1), win.end_hour, function (v) {
          win.end_hour = Number(v);
          onChange(win);
        }))
      ]));
      box.appendChild(inner);
    }
    return box;
  }

  function checkView(tile, check, index) {
    var box = el("fieldset", { className: "jd-check" }, [el("legend", { text: "Rule " + (index + 1) })]);
    box.appendChild(field("The contact", selectBox(CHECKS, check.kind, function (v) {
      check.kind = v;
      check.template_id = null;
      check.url = null;
      check.target_id = null;
      changed();
      renderPanel();
    })));
    if (check.kind === "email_opened" || check.kind === "email_clicked") {
      box.appendChild(field("Email", selectBox(catalogue.templates || [], check.template_id, function (v) {
        check.template_id = v ? Number(v) : null;
        changed();
      }, "Any email")));
      if (check.kind === "email_clicked") {
        box.appendChild(field("Link", textBox(check.url, function (v) {
          check.url = v.trim() || null;
          changed();
        }, "url"), "Leave empty for any link."));
      }
    } else {
      var list = CHECK_TARGETS[check.kind];
      var anyWords = { forms: "Any form", pages: "Any page", events: "Any event" }[list];
      var labelText = { forms: "Form", pages: "Page", events: "Event" }[list];
      box.appendChild(field(labelText, selectBox(catalogue[list] || [], check.target_id, function (v) {
        check.target_id = v || null;
        changed();
      }, anyWords)));
    }
    if (!readonly && tile.checks.length > 1) {
      var drop = el("button", { type: "button", className: "small link", text: "Remove rule " + (index + 1) });
      drop.addEventListener("click", function () {
        tile.checks.splice(index, 1);
        changed();
        renderPanel();
      });
      box.appendChild(drop);
    }
    return box;
  }

  function tileFields(tile) {
    var parts = [];
    switch (tile.kind) {
      case "send_email":
        parts.push(field("Email", selectBox(catalogue.templates || [], tile.template_id, function (v) {
          tile.template_id = v ? Number(v) : null;
          changed();
        }, "— pick an email —"), (catalogue.templates || []).length ? null : "No email yet: create one under Emails first."));
        break;
      case "wait":
        var mode = tile.until ? "until" : "duration";
        parts.push(field("Wait", selectBox([["duration", "for a time"], ["until", "until a date and time"]], mode, function (v) {
          if (v === "until") {
            tile.duration_minutes = null;
            tile.until = new Date(Date.now() + 86400000).toISOString().slice(0, 16);
          } else {
            tile.until = null;
            tile.duration_minutes = 1440;
          }
          changed();
          renderPanel();
        })));
        if (mode === "until") {
          parts.push(field("Until", textBox(String(tile.until || "").slice(0, 16), function (v) {
            tile.until = v || null;
            changed();
          }, "datetime-local"), "In the journey's time zone."));
        } else {
          parts.push(durationField("For", tile.duration_minutes, function (v) {
            tile.duration_minutes = v;
            changed();
          }));
        }
        parts.push(windowFields(tile.window, function (win) {
          tile.window = win;
          changed();
        }, "Release window"));
        break;
      case "condition":
        parts.push(field("Take the yes branch when", selectBox([["any", "any rule holds (or)"], ["all", "every rule holds (and)"]], tile.any_of ? "any" : "all", function (v) {
          tile.any_of = v === "any";
          changed();
        })));
        tile.checks.forEach(function (check, index) {
          parts.push(checkView(tile, check, index));
        });
        if (!readonly && tile.checks.length < 20) {
          var more = el("button", { type: "button", className: "small", text: "Add a rule" });
          more.addEventListener("click", function () {
            tile.checks.push({ kind: "email_opened", template_id: null, url: null, target_id: null });
            changed();
            renderPanel();
          });
          parts.push(more);
        }
        parts.push(durationField("Wait at most", tile.timeout_minutes, function (v) {
          tile.timeout_minutes = v;
          changed();
        }, "Then the contact takes the no branch."));
        if (catalogue.target === "account" || tile.per_account) {
          parts.push(checkBox("Decide per account: all its contacts take the same branch", tile.per_account, function (on) {
            tile.per_account = on;
            changed();
          }));
        }
        break;
      case "split":
        var total = 0;
        tile.branches.forEach(function (branch, index) {
          total += Number(branch.percent) || 0;
          var row = el("fieldset", { className: "jd-branch" }, [el("legend", { text: "Branch " + (index + 1) })]);
          row.appendChild(el("div", { className: "jd-row" }, [
            field("Name", textBox(branch.label, function (v) {
              branch.label = v;
              changed();
            })),
            field("Percent", textBox(branch.percent, function (v) {
              branch.percent = v === "" ? 0 : Number(v);
              changed();
              updateTotal();
            }, "number"))
          ]));
          if (!readonly && tile.branches.length > 2) {
            var drop = el("button", { type: "button", className: "small link", text: "Remove branch " + (index + 1) });
            drop.addEventListener("click", function () {
              var gone = tile.branches.splice(index, 1)[0];
              if (gone.next && !window.confirm("Remove this branch and its tiles?")) {
                tile.branches.splice(index, 0, gone);
                return;
              }
              prune();
              changed();
              renderPanel();
            });
            row.appendChild(drop);
          }
          parts.push(row);
        });
        var totalLine = el("p", { className: "hint jd-total", role: "status" });
        var updateTotal = function () {
          var sum = tile.branches.reduce(function (acc, b) {
            return acc + (Number(b.percent) || 0);
          }, 0);
          totalLine.textContent = "Together: " + sum + "%" + (sum === 100 ? "" : " (they must add up to 100%)");
          totalLine.classList.toggle("field-error", sum !== 100);
        };
        updateTotal();
        parts.push(totalLine);
        if (!readonly && tile.branches.length < 5) {
          var add = el("button", { type: "button", className: "small", text: "Add a branch" });
          add.addEventListener("click", function () {
            tile.branches.push({ percent: 0, next: null, label: String.fromCharCode(65 + tile.branches.length) });
            changed();
            renderPanel();
          });
          parts.push(add);
        }
        break;
      case "create_lead":
        parts.push(field("Create the lead for", selectBox([["contact", "the contact"], ["account", "the contact's account (one lead per account)"]], tile.create_for, function (v) {
          tile.create_for = v;
          changed();
          renderPanel();
        })));
        if (tile.create_for === "account") {
          parts.push(field("Last name placeholder", textBox(tile.last_name_placeholder, function (v) {
            tile.last_name_placeholder = v;
            changed();
          }), "An account has no last name: the lead gets this one."));
        }
        parts.push(field("Owner", ownerBox(tile.owner_id ? "user:" + tile.owner_id : "journey_owner", false, function (kind, userId) {
          tile.owner_id = kind === "user" ? userId : null;
          changed();
        })));
        parts.push(el("p", { className: "hint", text: "A new lead every time, never matched to an existing one." }));
        break;
      case "update_field":
        parts.push(field("Record", selectBox([["contact", "Contact"], ["account", "Account"], ["lead", "Lead"]], tile.entity, function (v) {
          tile.entity = v;
          var list = (catalogue.fields || {})[v] || [];
          tile.field = list.length ? list[0].name : "";
          tile.value = "";
          changed();
          renderPanel();
        })));
        var fields = (catalogue.fields || {})[tile.entity] || [];
        parts.push(field("Field", selectBox(fields.map(function (f) {
          return [f.name, f.label];
        }), tile.field, function (v) {
          tile.field = v;
          tile.value = "";
          changed();
          renderPanel();
        })));
        var spec = null;
        fields.forEach(function (f) {
          if (f.name === tile.field) {
            spec = f;
          }
        });
        var valueControl;
        if (spec && spec.options && spec.options.length) {
          valueControl = selectBox(spec.options.map(function (o) {
            return [o, o.replace(/_/g, " ")];
          }), tile.value, function (v) {
            tile.value = v || null;
            changed();
          }, "(empty)");
        } else if (spec && spec.type === "boolean") {
          valueControl = selectBox([["true", "yes"], ["false", "no"]], tile.value, function (v) {
            tile.value = v || null;
            changed();
          }, "(empty)");
        } else {
          var type = spec && (spec.type === "integer" || spec.type === "decimal") ? "number" : spec && spec.type === "date" ? "date" : "text";
          valueControl = textBox(tile.value, function (v) {
            tile.value = v === "" ? null : v;
            changed();
          }, type);
        }
        parts.push(field("New value", valueControl));
        break;
      case "create_task":
        parts.push(field("Title", textBox(tile.title, function (v) {
          tile.title = v;
          changed();
        })));
        parts.push(field("For", ownerBox(tile.owner === "user" ? "user:" + tile.user_id : tile.owner, true, function (kind, userId) {
          tile.owner = kind;
          tile.user_id = userId;
          changed();
        })));
        parts.push(field("Due in (days)", textBox(tile.due_in_days, function (v) {
          tile.due_in_days = v === "" ? 0 : Number(v);
          changed();
        }, "number")));
        break;
      case "webhook":
        parts.push(field("Web address", textBox(tile.url, function (v) {
          tile.url = v.trim();
          changed();
        }, "url"), "Called with a JSON body naming the journey and the contact."));
        break;
      case "action":
        var actions = catalogue.actions || [];
        parts.push(field("Action", selectBox(actions.map(function (a) {
          return [a.type, a.label];
        }), tile.action, function (v) {
          tile.action = v;
          tile.settings = {};
          changed();
          renderPanel();
        })));
        actions.forEach(function (a) {
          if (a.type !== tile.action) {
            return;
          }
          if (a.description) {
            parts.push(el("p", { className: "hint", text: a.description }));
          }
          Object.keys(a.params || {}).forEach(function (name) {
            var needed = (a.required || []).indexOf(name) >= 0;
            var labelText = ((catalogue.param_labels || {})[name] || name.replace(/_/g, " ")) + (needed ? "" : " (optional)");
            var set = function (v) {
              tile.settings = tile.settings || {};
              if (v === "") {
                delete tile.settings[name];
              } else {
                tile.settings[name] = v;
              }
              changed();
            };
            var current = (tile.settings || {})[name];
            // People, roles, stages and queues are picked by name.
            var listed = { user_id: "users", owner_id: "users", role: "roles", stage: "stages", queue: "queues" }[name];
            var control = listed
              ? selectBox(catalogue[listed] || [], current, set, "—")
              : textBox(current, set);
            parts.push(field(labelText, control, a.params[name]));
          });
        });
        break;
      case "end":
        parts.push(el("p", { className: "hint", text: "Contacts finish the journey here." }));
        break;
    }
    return parts;
  }

  function renderPanel() {
    panel.textContent = "";
    var tile = selected ? tileOf(selected) : null;
    if (!tile) {
      panel.appendChild(el("h3", { text: "Tile settings" }));
      panel.appendChild(el("p", { className: "hint", text: readonly ? "Pick a tile to see its settings." : "Pick a tile to change its settings, or a + to add one." }));
      return;
    }
    var head = el("div", { className: "jd-head" }, [
      el("h3", { text: KIND_NAMES[tile.kind] || tile.kind })
    ]);
    panel.appendChild(head);
    errorsOf(tile.id).forEach(function (problem) {
      panel.appendChild(el("p", { className: "field-error", role: "alert", text: problem.message }));
    });
    panel.appendChild(field("Label", textBox(tile.label, function (v) {
      tile.label = v;
      changed();
    }), "Shown on the tile and in each contact's history."));
    tileFields(tile).forEach(function (part) {
      if (part) {
        panel.appendChild(part);
      }
    });
    var actions = el("div", { className: "jd-actions" });
    if (!readonly) {
      var drop = el("button", { type: "button", className: "danger small", text: "Remove this tile" });
      drop.addEventListener("click", function () {
        remove(tile.id);
        renderPanel();
      });
      actions.appendChild(drop);
    }
    var done = el("button", { type: "button", className: "small", text: "Close" });
    done.addEventListener("click", function () {
      var id = selected;
      selected = null;
      render();
      renderPanel();
      focusTile(id);
    });
    actions.appendChild(done);
    panel.appendChild(actions);
  }

  document.addEventListener("click", function (event) {
    if (openMenu && !openMenu.menu.contains(event.target)) {
      closeMenu();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && openMenu) {
      var button = openMenu.button;
      closeMenu();
      button.focus();
    }
  });

  // While live, the counts on the tiles follow the engine.
  var countsUrl = root.getAttribute("data-counts-url");
  function refresh() {
    if (!countsUrl || !window.fetch) {
      return;
    }
    fetch(countsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          return;
        }
        counts = data.tiles || data.counts || data;
        var stamp = document.getElementById("journey-counts-time");
        if (stamp) {
          stamp.textContent = "Counts at " + new Date().toLocaleTimeString();
        }
        render();
      })
      .catch(function () {});
  }
  var formEdited = false;
  if (hidden.form) {
    hidden.form.addEventListener("input", function () {
      formEdited = true;
    });
    hidden.form.addEventListener("change", function () {
      formEdited = true;
    });
  }
  // Leaving with unsaved changes asks first (saving does not).
  var saving = false;
  if (hidden.form && !readonly) {
    hidden.form.addEventListener("submit", function () {
      saving = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!saving && (edited() || formEdited)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }
  var refreshButton = document.getElementById("journey-refresh");
  if (refreshButton && countsUrl) {
    // Unsaved changes stay: the counts on the tiles refresh in place; otherwise the
    // whole page reloads (the tables below follow too).
    refreshButton.addEventListener("click", function (event) {
      if (edited() || (hidden.form && formEdited)) {
        event.preventDefault();
        refresh();
      }
    });
  }
  if (countsUrl && counts) {
    window.setInterval(refresh, 10000);
  }

  // The first tile at fault opens in the panel.
  var firstError = errors.filter(function (item) {
    return item.tile;
  })[0];
  if (firstError) {
    selected = firstError.tile;
  }
  sync();
  render();
  renderPanel();
  // A flow wider than its box opens on its trunk (the start), not its left edge.
  if (root.scrollWidth > root.clientWidth) {
    root.scrollLeft = (root.scrollWidth - root.clientWidth) / 2;
  }
})();
