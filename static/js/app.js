/* antifraud: keyboard shortcuts and the decision form's helpers. No inline script
   anywhere (the Content-Security-Policy forbids it); everything is delegated from the
   document so it keeps working after htmx swaps in the next case. */
(function () {
  "use strict";

  const ACTION_KEYS = { b: "block_account", r: "remove_listing", c: "clear", w: "warn", e: "escalate" };
  const RINGS = ["block_account", "remove_listing"];
  const LISTING = ["block_account", "remove_listing", "warn"];
  // Inputs that take no typing: a shortcut pressed while one has the focus (a ticked box,
  // a chosen radio) is still a shortcut.
  const NOT_TYPING = ["checkbox", "radio", "button", "submit", "reset", "image", "file", "color", "range", "hidden"];

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    if (target.closest("textarea, select")) return true;
    const input = target.closest("input");
    return input !== null && !NOT_TYPING.includes((input.type || "text").toLowerCase());
  }

  function click(selector) {
    const el = document.querySelector(selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  function decisionForm() {
    return document.getElementById("decision-form");
  }

  // The decision form a field belongs to: the ring's boxes sit outside it, in the linked
  // subjects' table, and join it with form="decision-form".
  function formOf(target) {
    if (!target) return null;
    const form = target.form || (target.closest ? target.closest("form") : null);
    return form && form.id === "decision-form" ? form : null;
  }

  function currentAction(form) {
    const checked = form.querySelector('input[name="action"]:checked');
    return checked ? checked.value : "";
  }

  function texts(form) {
    try { return JSON.parse(form.dataset.summaries || "{}"); } catch (error) { return {}; }
  }

  // --- the statement of reasons follows the policy and the language -------------------

  function statementFor(form, policyId) {
    const template = form.querySelector('template[data-statement-for="' + policyId + '"]');
    return template ? template.content.textContent : null;
  }

  function refreshStatement(form) {
    const textarea = form.querySelector("#id_statement_of_reasons");
    const policy = form.querySelector("#id_policy");
    const language = form.querySelector("#id_language");
    if (!textarea || !policy || textarea.dataset.edited === "1") return;
    if (!language || language.value === form.dataset.templateLanguage) {
      const text = statementFor(form, policy.value);
      if (text !== null) textarea.value = text;
    } else if (window.htmx && policy.value) {
      const url = form.dataset.statementUrl + "?policy=" + encodeURIComponent(policy.value) +
        "&language=" + encodeURIComponent(language.value);
      window.htmx.ajax("GET", url, { target: "#statement-field", swap: "innerHTML" });
    }
  }

  // --- what the form will do: block length, listed indicators, the summary line --------

  function selectedPolicy(form) {
    const policy = form.querySelector("#id_policy");
    return policy ? policy.selectedOptions[0] : null;
  }

  // The chosen policy's block lengths, its first (its default) checked, unless the
  // moderator chose a length by hand that this policy allows too.
  function refreshDurations(form) {
    const box = form.querySelector(".block-days-choices");
    const option = selectedPolicy(form);
    if (!box) return;
    const wanted = ((option && option.value && option.dataset.durations) || "0").split(" ").filter(Boolean);
    const present = Array.from(box.querySelectorAll('input[name="block_days"]')).map(function (r) { return r.value; });
    if (wanted.join(" ") === present.join(" ")) return;
    const checked = box.querySelector('input[name="block_days"]:checked');
    const chosen = box.dataset.touched === "1" && checked && wanted.includes(checked.value);
    const keep = chosen ? checked.value : wanted[0];
    const labels = texts(form).labels || {};
    box.replaceChildren();
    wanted.forEach(function (days) {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "block_days";
      radio.value = days;
      radio.checked = days === keep;
      label.append(radio, " " + (labels[days] || days));
      box.append(label);
    });
  }

  // A block or removal lists the kinds its policy names on the black list; another action
  // lists nothing by default. Rows the moderator set by hand are never changed.
  function refreshIndicators(form) {
    const action = currentAction(form);
    const option = selectedPolicy(form);
    const kinds = ((option && option.dataset.defaultKinds) || "").split(" ").filter(Boolean);
    form.querySelectorAll(".indicators tr[data-kind]").forEach(function (row) {
      if (row.dataset.touched === "1") return;
      const list = RINGS.includes(action) && kinds.includes(row.dataset.kind) ? "black" : "";
      const radio = row.querySelector('input[type="radio"][value="' + list + '"]');
      if (radio) radio.checked = true;
    });
  }

  function pick(list, count) {
    return list && list.length ? list[Math.min(count, list.length - 1)] : "";
  }

  // The same sentences, put together the same way, as reviews.forms.decision_summary.
  function summarise(form) {
    const out = form.querySelector("#decision-summary");
    if (!out) return;
    const t = texts(form);
    const action = currentAction(form);
    const ring = document.querySelectorAll('input[name="ring"][form="decision-form"]:checked').length;
    const black = form.querySelectorAll('.indicators input[type="radio"][value="black"]:checked').length;
    const gray = form.querySelectorAll('.indicators input[type="radio"][value="gray"]:checked').length;
    const days = form.querySelector('input[name="block_days"]:checked');
    let parts = [];
    if (!t[action]) {
      parts = [t.none];
    } else if (RINGS.includes(action)) {
      parts.push(pick(t[action], ring));
      if (action === "block_account" && days && t.length && t.length[days.value]) parts.push(t.length[days.value]);
    } else {
      parts.push(t[action]);
      if (ring) parts.push(t.ring_ignored);
    }
    if (LISTING.includes(action)) {
      if (black) parts.push(pick(t.black, black));
      if (gray) parts.push(pick(t.gray, gray));
      if (!black && !gray) parts.push(t.nothing_listed);
    } else if (action === "clear" && (black || gray)) {
      parts.push(t.clear_lists);
    }
    out.textContent = parts.filter(Boolean).join(" ");
  }

  function setActionClass(form, action) {
    Array.from(form.classList).forEach(function (name) {
      if (name.indexOf("action-") === 0) form.classList.remove(name);
    });
    if (action) form.classList.add("action-" + action);
  }

  function hint(form, show) {
    const box = form.querySelector("#decision-hint");
    if (!box) return;
    box.textContent = show ? box.dataset.chooseAction : "";
    box.hidden = !show;
  }

  function applyAction(form, action) {
    const policy = form.querySelector("#id_policy");
    setActionClass(form, action);
    hint(form, false);
    if (policy && action !== "escalate") {
      for (const option of policy.options) {
        if (option.value) option.disabled = !(option.dataset.actions || "").split(" ").includes(action);
      }
      const defaults = JSON.parse(form.dataset.defaultPolicies || "{}");
      const current = policy.selectedOptions[0];
      if (defaults[action] && (!current || !current.value || current.disabled)) {
        policy.value = String(defaults[action]);
        refreshStatement(form);
        refreshDurations(form);
      }
    }
    refreshIndicators(form);
    summarise(form);
  }

  function chooseAction(form, action) {
    const radio = form.querySelector('input[name="action"][value="' + action + '"]');
    if (!radio || radio.disabled) return;
    radio.checked = true;
    applyAction(form, action);
    if (action === "escalate") {
      const note = form.querySelector("#id_internal_note");
      if (note) note.focus();
    } else {
      const submit = form.querySelector("#decide-submit");
      if (submit) submit.focus();
    }
  }

  // Enter with nothing chosen would send an empty form: point at the actions instead.
  function decideOrAsk(form) {
    if (currentAction(form)) {
      click("#decide-submit");
      return;
    }
    hint(form, true);
    const first = form.querySelector('input[name="action"]:not([disabled])');
    if (first) first.focus();
  }

  // A form drawn by the server (the page, or a swapped-in case) starts with what it shows:
  // the policies that fit its action and the summary of its choices.
  function initialise(root) {
    const form = decisionForm();
    if (form && root.contains(form)) {
      const action = currentAction(form);
      const policy = form.querySelector("#id_policy");
      if (policy && action && action !== "escalate") {
        for (const option of policy.options) {
          if (option.value) option.disabled = !(option.dataset.actions || "").split(" ").includes(action);
        }
      }
      summarise(form);
    }
    root.querySelectorAll("dialog[data-reopen]").forEach(function (dialog) {
      if (!dialog.open) dialog.showModal();
    });
  }

  document.addEventListener("change", function (event) {
    const form = formOf(event.target);
    if (!form) return;
    const target = event.target;
    if (target.name === "action") applyAction(form, target.value);
    if (target.id === "id_policy") {
      refreshStatement(form);
      refreshDurations(form);
      refreshIndicators(form);
    }
    if (target.id === "id_language") refreshStatement(form);
    if (event.isTrusted && target.name && target.name.indexOf("indicator_") === 0) {
      const row = target.closest("tr");
      if (row) row.dataset.touched = "1";
    }
    if (event.isTrusted && target.name === "block_days") {
      const box = target.closest(".block-days-choices");
      if (box) box.dataset.touched = "1";
    }
    summarise(form);
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "id_statement_of_reasons") event.target.dataset.edited = "1";
  });

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    const form = formOf(target);
    const help = document.getElementById("shortcuts-help");
    const openDialog = document.querySelector("dialog[open]");

    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      // Ctrl+Enter sends the form from inside its text fields: the decision, a snooze.
      if (form) {
        event.preventDefault();
        decideOrAsk(form);
      } else if (openDialog && target.closest && target.closest("#snooze-form")) {
        event.preventDefault();
        target.closest("form").requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;

    // While a dialog is open its keys are its own: Escape closes it (the browser does that)
    // and ? closes the help.
    if (openDialog) {
      if (event.key === "?" && openDialog === help && !typing(target)) {
        event.preventDefault();
        help.close();
      }
      return;
    }

    if (event.key === "Enter" && form) {
      // The escalation note: Enter sends it, Shift+Enter starts a new line.
      if (target.id === "id_internal_note") {
        if (!event.shiftKey && currentAction(form) === "escalate") {
          event.preventDefault();
          decideOrAsk(form);
        }
        return;
      }
      // A ticked box or a chosen radio: Enter decides, or asks for the action first.
      if (target.type === "checkbox" || target.type === "radio") {
        event.preventDefault();
        decideOrAsk(form);
        return;
      }
    }

    if (typing(target)) return;
    if (event.key === "?") {
      event.preventDefault();
      if (help) help.showModal();
      return;
    }
    if (event.key === "n") {
      if (click('[data-shortcut="next"]')) event.preventDefault();
      return;
    }
    if (event.key === "s") {
      if (click('[data-shortcut="skip"]')) event.preventDefault();
      return;
    }
    if (event.key === "z") {
      if (openSnooze()) event.preventDefault();
      return;
    }
    const decision = decisionForm();
    if (decision && ACTION_KEYS[event.key]) {
      event.preventDefault();
      chooseAction(decision, ACTION_KEYS[event.key]);
    }
  });

  function openSnooze() {
    const dialog = document.getElementById("snooze-dialog");
    if (!dialog) return false;
    if (!dialog.open) dialog.showModal();
    const note = dialog.querySelector("textarea");
    if (note) note.focus();
    return true;
  }

  // A new case swapped in: htmx would give the focus back to the field with the same id
  // (the note, the submit button) on the new case, where a shortcut key would type into it
  // or a second Enter would submit. Start each case with the focus on the page itself.
  // A refusal (409, 422) is the same case drawn again with its errors: bring the first
  // error into view and give it the focus, so that it is seen and read out.
  document.addEventListener("htmx:afterSettle", function (event) {
    const workspace = event.target;
    if (!workspace || workspace.id !== "workspace") return;
    const status = event.detail && event.detail.xhr ? event.detail.xhr.status : 200;
    initialise(workspace);
    if (status === 409 || status === 422) {
      const error = workspace.querySelector("dialog[open] .form-error, dialog[open] .errorlist, #decision-errors, .form-error:not([hidden]), .errorlist");
      if (error) {
        if (!error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1");
        error.focus({ preventScroll: true });
        error.scrollIntoView({ block: "center" });
        return;
      }
    }
    const active = document.activeElement;
    if (active && active !== document.body && workspace.contains(active)) active.blur();
    window.scrollTo(0, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initialise(document);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-select-ring]")) {
      document.querySelectorAll('input[name="ring"][form="decision-form"]').forEach(function (box) {
        box.checked = true;
      });
      const form = decisionForm();
      if (form) summarise(form);
      return;
    }
    if (event.target.closest('[data-shortcut="snooze"]')) {
      openSnooze();
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    if (event.target.closest('[data-shortcut="help"]')) {
      const help = document.getElementById("shortcuts-help");
      if (help) help.showModal();
    }
  });
})();
