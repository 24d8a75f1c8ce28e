// leadflow segment builder: a tree of groups, field conditions, related records and
// behaviour, built from the registry's fields and relationships (embedded in the page).
// It keeps the tree in the form's hidden "definition" field and asks the API for the
// estimated size as the tree changes. Nobody types JSON.
(function () {
  "use strict";

  var root = document.getElementById("segment-builder");
  var schemaNode = document.getElementById("segment-schema");
  var hidden = document.getElementById("segment-definition");
  if (!root || !schemaNode || !hidden) {
    return;
  }
  var schema = JSON.parse(schemaNode.textContent);
  var form = hidden.form;
  var csrf = form ? form.querySelector("input[name=csrf_token]") : null;
  var readonly = root.getAttribute("data-readonly") === "true";
  var estimateBox = document.getElementById("segment-estimate");
  var tree;
  try {
    tree = JSON.parse(hidden.value);
  } catch (error) {
    tree = null;
  }
  if (!tree || tree.type !== "group") {
    tree = { type: "group", op: "and", children: [] };
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") {
        node.textContent = attrs[key];
      } else if (key === "className") {
        node.className = attrs[key];
      } else {
        node.setAttribute(key, attrs[key]);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(child);
      }
    });
    if (readonly && (tag === "select" || tag === "input" || tag === "button")) {
      node.disabled = true;
    }
    return node;
  }

  function select(label, options, value, onChange) {
    var box = el("select", { "aria-label": label });
    options.forEach(function (pair) {
      var option = el("option", { value: pair[0], text: pair[1] });
      if (String(pair[0]) === String(value)) {
        option.selected = true;
      }
      box.appendChild(option);
    });
    box.addEventListener("change", function () {
      onChange(box.value);
    });
    return box;
  }

  function button(text, label, onClick) {
    var b = el("button", { type: "button", className: "small", text: text, "aria-label": label });
    b.addEventListener("click", onClick);
    return b;
  }

  function words(value) {
    return String(value).replace(/_/g, " ");
  }

  function entityOf(name) {
    return schema.entities[name];
  }

  function fieldOf(entity, name) {
    var found = null;
    entityOf(entity).fields.forEach(function (f) {
      if (f.name === name) {
        found = f;
      }
    });
    return found;
  }

  function values(node) {
    if (node.value === undefined || node.value === null) {
      return [];
    }
    return Array.isArray(node.value) ? node.value : [node.value];
  }

  function newField(entity) {
    var first = entityOf(entity).fields.filter(function (f) {
      return f.name !== "id";
    })[0];
    return { type: "field", field: first.name, op: schema.ops[first.type][0][0], value: [] };
  }

  function newRelated(entity) {
    var rel = entityOf(entity).relationships[0];
    return {
      type: "related",
      relationship: rel.name,
      count: "any",
      where: { type: "group", op: "and", children: [] }
    };
  }

  function newBehaviour() {
    return { type: "behaviour", kind: "email_clicked", count: "at_least", min: 1, window_days: 30 };
  }

  // --- value widgets by field type -------------------------------------------------

  function input(type, label, value, onInput) {
    var box = el("input", { type: type, "aria-label": label });
    if (value !== undefined && value !== null) {
      box.value = value;
    }
    box.addEventListener("input", function () {
      onInput(box.value);
    });
    return box;
  }

  function inputType(field) {
    if (field.type === "integer" || field.type === "decimal" || field.type === "reference") {
      return "number";
    }
    if (field.type === "date" || field.type === "datetime") {
      return "date";
    }
    return "text";
  }

  function valueWidget(node, field) {
    var op = node.op;
    var current = values(node);
    if (op === "empty" || op === "not_empty") {
      node.value = null;
      return null;
    }
    if (op === "within_last_days" || op === "older_than_days") {
      return el("span", { className: "value-days" }, [
        input("number", "Days", current[0], function (text) {
          node.value = text === "" ? null : Number(text);
          sync();
        }),
        el("span", { text: " days" })
      ]);
    }
    if (op === "between") {
      var pair = [current[0], current[1]];
      var set = function (index) {
        return function (text) {
          pair[index] = text;
          node.value = pair;
          sync();
        };
      };
      return el("span", { className: "value-between" }, [
        input(inputType(field), "From", pair[0], set(0)),
        el("span", { text: " and " }),
        input(inputType(field), "To", pair[1], set(1))
      ]);
    }
    if (field.type === "choice") {
      var list = el("span", { className: "value-choices", role: "group", "aria-label": "Value" });
      field.options.forEach(function (option) {
        var box = el("input", { type: "checkbox", value: option });
        box.checked = current.indexOf(option) >= 0;
        box.addEventListener("change", function () {
          var chosen = values(node).filter(function (v) {
            return v !== option;
          });
          if (box.checked) {
            chosen.push(option);
          }
          node.value = chosen;
          sync();
        });
        list.appendChild(el("label", { className: "choice" }, [box, el("span", { text: " " + words(option) })]));
      });
      return list;
    }
    if (field.type === "boolean") {
      if (!current.length) {
        node.value = [true];
      }
      return select("Value", [["true", "yes"], ["false", "no"]], String(values(node)[0]), function (v) {
        node.value = [v === "true"];
        sync();
      });
    }
    var type = inputType(field);
    var single = op === "gt" || op === "gte" || op === "lt" || op === "lte";
    var items = current.length ? current.slice() : [""];
    var wrap = el("span", { className: "value-list" });
    items.forEach(function (item, index) {
      wrap.appendChild(
        input(type, index ? "Or value" : "Value", item, function (text) {
          items[index] = text;
          node.value = items.filter(function (v) {
            return v !== "";
          }).map(function (v) {
            return type === "number" ? Number(v) : v;
          });
          sync();
        })
      );
      if (index < items.length - 1) {
        wrap.appendChild(el("span", { className: "or", text: " or " }));
      }
    });
    if (!single && !readonly) {
      wrap.appendChild(
        button("+ or", "Add another value", function () {
          node.value = values(node).concat([""]);
          render();
        })
      );
    }
    return wrap;
  }

  // --- node views ------------------------------------------------------------------

  function removeButton(onRemove, what) {
    if (!onRemove || readonly) {
      return null;
    }
    return button("✕", "Remove " + what, onRemove);
  }

  function fieldView(node, entity, onRemove) {
    var field = fieldOf(entity, node.field) || entityOf(entity).fields[0];
    var ops = schema.ops[field.type] || [];
    var fields = entityOf(entity).fields.map(function (f) {
      return [f.name, f.label];
    });
    return el("div", { className: "seg-node seg-field", "data-kind": "field" }, [
      select("Field", fields, node.field, function (name) {
        var chosen = fieldOf(entity, name);
        node.field = name;
        var allowed = (schema.ops[chosen.type] || []).map(function (p) {
          return p[0];
        });
        if (allowed.indexOf(node.op) < 0) {
          node.op = allowed[0];
        }
        node.value = [];
        render();
      }),
      select("Operator", ops, node.op, function (op) {
        node.op = op;
        node.value = [];
        render();
      }),
      valueWidget(node, field),
      el("span", { className: "node-count", "aria-live": "polite" }),
      removeButton(onRemove, "condition")
    ]);
  }

  function countControls(node, many, label) {
    var options = many
      ? [["any", "at least one"], ["at_least", "at least N"], ["none", "none"]]
      : [["any", "has one"], ["none", "has none"]];
    var parts = [
      select(label, options, node.count || "any", function (count) {
        node.count = count;
        if (count === "at_least" && !(node.min > 1)) {
          node.min = 2;
        }
        render();
      })
    ];
    if (node.count === "at_least") {
      parts.push(
        input("number", "How many", node.min, function (text) {
          node.min = text === "" ? null : Number(text);
          sync();
        })
      );
    }
    return parts;
  }

  function relatedView(node, entity, onRemove) {
    var rels = entityOf(entity).relationships;
    var rel = rels.filter(function (r) {
      return r.name === node.relationship;
    })[0] || rels[0];
    var head = el("div", { className: "seg-node-head" }, [
      el("span", { className: "seg-tag", text: "Related records" }),
      select(
        "Relationship",
        rels.map(function (r) {
          return [r.name, r.label];
        }),
        rel.name,
        function (name) {
          node.relationship = name;
          node.where = { type: "group", op: "and", children: [] };
          node.count = "any";
          render();
        }
      )
    ].concat(countControls(node, rel.many, "How many")).concat([
      el("span", { className: "node-count", "aria-live": "polite" }),
      removeButton(onRemove, "related records")
    ]));
    node.where = node.where || { type: "group", op: "and", children: [] };
    return el("div", { className: "seg-node seg-related", "data-kind": "related" }, [
      head,
      el("p", { className: "hint", text: "where the same " + entityOf(rel.entity).label.toLowerCase() + " has:" }),
      groupView(node.where, rel.entity, null)
    ]);
  }

  function behaviourView(node, onRemove) {
    var kinds = schema.kinds.map(function (k) {
      return [k, words(k)];
    });
    if (schema.kinds.indexOf(node.kind) < 0) {
      kinds.push([node.kind, words(node.kind)]);
    }
    return el("div", { className: "seg-node seg-behaviour", "data-kind": "behaviour" }, [
      el("span", { className: "seg-tag", text: "Behaviour" }),
      select("Interaction", kinds, node.kind, function (kind) {
        node.kind = kind;
        sync();
      })
    ].concat(
      node.count === "none"
        ? [select("How often", [["at_least", "at least"], ["none", "never"]], "none", function (c) {
            node.count = c;
            node.min = 1;
            render();
          })]
        : [
            select("How often", [["at_least", "at least"], ["none", "never"]], "at_least", function (c) {
              node.count = c;
              render();
            }),
            input("number", "Times", node.min || 1, function (text) {
              node.min = text === "" ? 1 : Number(text);
              sync();
            }),
            el("span", { text: " times" })
          ]
    ).concat([
      el("span", { text: " in the last " }),
      input("number", "Window in days", node.window_days, function (text) {
        node.window_days = text === "" ? null : Number(text);
        sync();
      }),
      el("span", { text: " days" }),
      el("span", { text: " on " }),
      (function () {
        var box = input("text", "Target (optional)", node.target_id, function (text) {
          node.target_id = text === "" ? null : text;
          sync();
        });
        box.setAttribute("placeholder", "any target");
        return box;
      })(),
      el("span", { className: "node-count", "aria-live": "polite" }),
      removeButton(onRemove, "behaviour")
    ]));
  }

  function nodeView(node, entity, onRemove) {
    if (node.type === "group") {
      return groupView(node, entity, onRemove);
    }
    if (node.type === "related") {
      return relatedView(node, entity, onRemove);
    }
    if (node.type === "behaviour") {
      return behaviourView(node, onRemove);
    }
    return fieldView(node, entity, onRemove);
  }

  function groupView(group, entity, onRemove) {
    group.children = group.children || [];
    var list = el("div", { className: "seg-children" });
    group.children.forEach(function (child, index) {
      var view = nodeView(child, entity, function () {
        group.children.splice(index, 1);
        render();
      });
      if (group === tree) {
        view.setAttribute("data-path", "root.children[" + index + "]");
      }
      list.appendChild(view);
    });
    if (!group.children.length) {
      list.appendChild(el("p", { className: "hint empty", text: "No condition yet: every " + entityOf(entity).label.toLowerCase() + "." }));
    }
    var add = el("div", { className: "seg-add" });
    if (!readonly) {
      add.appendChild(button("+ Condition", "Add a condition", function () {
        group.children.push(newField(entity));
        render();
      }));
      add.appendChild(button("+ Group", "Add a group", function () {
        group.children.push({ type: "group", op: group.op === "and" ? "or" : "and", children: [newField(entity)] });
        render();
      }));
      if (entityOf(entity).relationships.length) {
        add.appendChild(button("+ Related records", "Add related records", function () {
          group.children.push(newRelated(entity));
          render();
        }));
      }
      if (entity === "contact") {
        add.appendChild(button("+ Behaviour", "Add behaviour", function () {
          group.children.push(newBehaviour());
          render();
        }));
      }
    }
    return el("div", { className: "seg-node seg-group", "data-kind": "group" }, [
      el("div", { className: "seg-node-head" }, [
        select("Combine", [["and", "All of"], ["or", "Any of"]], group.op, function (op) {
          group.op = op;
          sync();
        }),
        el("span", { className: "hint", text: "these conditions" }),
        removeButton(onRemove, "group")
      ]),
      list,
      add
    ]);
  }

  // --- estimate --------------------------------------------------------------------

  var timer = null;
  var asked = 0;

  function showEstimate(data, ticket) {
    if (ticket !== asked || !estimateBox) {
      return;
    }
    root.querySelectorAll("[data-path] > .node-count, [data-path] > .seg-node-head > .node-count").forEach(function (n) {
      n.textContent = "";
    });
    if (data.problems && data.problems.length) {
      estimateBox.textContent = "Not complete yet: " + data.problems[0].message;
      estimateBox.className = "estimate incomplete";
      return;
    }
    estimateBox.className = "estimate";
    estimateBox.textContent = "Estimated size: " + data.count + " contact" + (data.count === 1 ? "" : "s");
    (data.nodes || []).forEach(function (item) {
      var view = root.querySelector('[data-path="' + item.path + '"]');
      if (!view) {
        return;
      }
      var slot = view.querySelector(".node-count");
      if (slot) {
        slot.textContent = item.count + " alone";
      }
    });
  }

  function estimate() {
    if (!window.fetch || !estimateBox) {
      return;
    }
    asked += 1;
    var ticket = asked;
    estimateBox.textContent = "Estimating…";
    fetch("/api/v1/segments/estimate", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrf ? csrf.value : ""
      },
      body: JSON.stringify({ definition: tree })
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            return { problems: [{ message: data.detail || "the query is not complete" }] };
          }
          return data;
        });
      })
      .then(function (data) {
        showEstimate(data, ticket);
      })
      .catch(function () {
        if (ticket === asked) {
          estimateBox.textContent = "";
        }
      });
  }

  function sync() {
    hidden.value = JSON.stringify(tree);
    if (timer) {
      window.clearTimeout(timer);
    }
    timer = window.setTimeout(estimate, 350);
  }

  function render() {
    root.textContent = "";
    root.appendChild(groupView(tree, "contact", null));
    sync();
  }

  render();
})();
