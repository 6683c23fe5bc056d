// The appeal review page. Choosing an outcome asks the server for its reply template
// (htmx, on the outcome fieldset); the answer replaces the reply field only if the reviewer
// has not typed in it since the question was asked: their own text is never written over.
(function () {
  "use strict";

  function replyField() {
    return document.getElementById("id_reply");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target && event.detail.target.id === "reply-field") {
      const field = replyField();
      event.detail.target.dataset.asked = field ? field.value : "";
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || target.id !== "reply-field") return;
    const field = replyField();
    if (field && field.value !== (target.dataset.asked || "")) {
      event.detail.shouldSwap = false;
    }
  });
})();
