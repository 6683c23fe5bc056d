/* antifraud: photos open large in a dialog on the case page, and Ctrl+Enter adds a note.
   Delegated from the document, so it keeps working after htmx swaps in the next case; no
   inline script or style (the Content-Security-Policy forbids them). Without JavaScript each
   thumbnail is a plain link to the full photo. */
(function () {
  "use strict";

  function viewer() {
    return document.getElementById("photo-viewer");
  }

  // The photos the dialog steps through: those of the group the clicked one belongs to
  // (the subject's photos, or one pair of a reused-photo signal).
  let links = [];
  let index = 0;

  function show(dialog) {
    const link = links[index];
    if (!link) return;
    const thumbnail = link.querySelector("img");
    const label = thumbnail ? thumbnail.alt : "";
    const url = link.getAttribute("href");
    dialog.querySelector("[data-photo-large]").src = url;
    dialog.querySelector("[data-photo-large]").alt = label;
    dialog.querySelector("[data-photo-caption]").textContent = label;
    dialog.querySelector("[data-photo-position]").textContent = (index + 1) + " / " + links.length;
    dialog.querySelector("[data-photo-original]").href = url;
    dialog.querySelectorAll("[data-photo-step]").forEach(function (button) {
      button.disabled = links.length < 2;
    });
  }

  function step(dialog, by) {
    if (links.length < 2) return;
    index = (index + by + links.length) % links.length;
    show(dialog);
  }

  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const link = event.target.closest("a[data-photo-open]");
    const dialog = viewer();
    if (link && dialog) {
      event.preventDefault();
      const group = link.closest("[data-photo-group]");
      links = group ? Array.from(group.querySelectorAll("a[data-photo-open]")) : [link];
      index = Math.max(0, links.indexOf(link));
      show(dialog);
      if (!dialog.open) dialog.showModal();
      return;
    }
    const stepper = event.target.closest("#photo-viewer [data-photo-step]");
    if (stepper && dialog) step(dialog, Number(stepper.dataset.photoStep));
  });

  // While the dialog is open the arrows step through the photos and no other key reaches
  // the page's shortcuts (listened to on the document, in the bubbling phase: stopped
  // here, in the capturing one). Escape still closes the dialog: that is its default.
  document.addEventListener("keydown", function (event) {
    const dialog = viewer();
    if (!dialog || !dialog.open) return;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      step(dialog, event.key === "ArrowLeft" ? -1 : 1);
    }
    event.stopPropagation();
  }, true);

  document.addEventListener("close", function (event) {
    if (event.target === viewer()) {
      const large = event.target.querySelector("[data-photo-large]");
      large.removeAttribute("src");
      const link = links[index];
      links = [];
      if (link && document.contains(link)) link.focus();
    }
  }, true);

  // Ctrl+Enter in the note field adds the note, as it decides from the decision form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const form = event.target.closest(".note-form");
    if (!form) return;
    event.preventDefault();
    event.stopPropagation();
    const submit = form.querySelector('button[type="submit"]');
    if (submit && !submit.disabled) form.requestSubmit(submit);
  });
})();
