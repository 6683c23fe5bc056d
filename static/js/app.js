/* antifraud: keyboard shortcuts and the decision form's helpers. No inline script
   anywhere (the Content-Security-Policy forbids it); everything is delegated from the
   document so it keeps working after htmx swaps in the next case. */
(function () {
  "use strict";

  const ACTION_KEYS = { b: "block_account", r: "remove_listing", c: "clear", w: "warn", e: "escalate" };

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  function click(selector) {
    const el = document.querySelector(selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

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

  function applyAction(form, action) {
    const policy = form.querySelector("#id_policy");
    form.classList.toggle("escalating", action === "escalate");
    if (!policy || action === "escalate") return;
    for (const option of policy.options) {
      if (option.value) option.disabled = !(option.dataset.actions || "").split(" ").includes(action);
    }
    const defaults = JSON.parse(form.dataset.defaultPolicies || "{}");
    const current = policy.selectedOptions[0];
    if (defaults[action] && (!current || !current.value || current.disabled)) {
      policy.value = String(defaults[action]);
      refreshStatement(form);
    }
  }

  document.addEventListener("change", function (event) {
    const form = event.target.closest("#decision-form");
    if (!form) return;
    if (event.target.name === "action") applyAction(form, event.target.value);
    if (event.target.id === "id_policy" || event.target.id === "id_language") refreshStatement(form);
  });

  document.addEventListener("input", function (event) {
    if (event.target.id === "id_statement_of_reasons") event.target.dataset.edited = "1";
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      // Ctrl+Enter submits the decision from inside the text fields too.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest("#decision-form")) {
        event.preventDefault();
        click("#decide-submit");
      }
      return;
    }
    if (typing(event.target)) return;
    const help = document.getElementById("shortcuts-help");
    if (event.key === "?") {
      event.preventDefault();
      if (help) { help.open ? help.close() : help.showModal(); }
      return;
    }
    if (event.key === "n") {
      if (click('[data-shortcut="next"]')) event.preventDefault();
      return;
    }
    const form = document.getElementById("decision-form");
    if (form && ACTION_KEYS[event.key]) {
      event.preventDefault();
      chooseAction(form, ACTION_KEYS[event.key]);
    }
  });

  // A new case swapped in: htmx would give the focus back to the field with the same id
  // (the note, the submit button) on the new case, where a shortcut key would type into it
  // or a second Enter would submit. Start each case with the focus on the page itself.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "workspace") {
      const active = document.activeElement;
      if (active && active !== document.body && event.target.contains(active)) active.blur();
      window.scrollTo(0, 0);
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-select-ring]")) {
      document.querySelectorAll('input[name="ring"][form="decision-form"]').forEach(function (box) {
        box.checked = true;
      });
      return;
    }
    if (event.target.closest('[data-shortcut="help"]')) {
      const help = document.getElementById("shortcuts-help");
      if (help) help.showModal();
    }
  });
})();
