// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";

  // 1. Drop a workbook on the upload area; refuse an oversized file before sending it.
  document.querySelectorAll("form.televersement").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-drop]");
    var say = form.querySelector("[data-size-error]");
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("survol"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("survol"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; }
    });
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (file && max && file.size > max) {
        event.preventDefault();
        say.textContent = "Fichier trop volumineux : " + (file.size / 1048576).toFixed(1).replace(".", ",") +
          " Mio, " + Math.floor(max / 1048576) + " Mio au plus. Vérifiez que c'est le bon classeur.";
        return;
      }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = "Envoi en cours…"; }
    });
  });

  // 2. A check (or an annotated copy) in progress: follow its steps, then show the result.
  var box = document.querySelector("[data-status-url]");
  if (box) {
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector("progress");
    var label = box.querySelector("[data-label]");
    var seconds = box.querySelector("[data-seconds]");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (state.termine) { window.location.reload(); return; }
          if (bar) { bar.max = state.etapes; bar.value = state.etape; }
          if (label) { label.textContent = "Étape " + state.etape + " sur " + state.etapes + " : " + state.libelle; }
          if (seconds) { seconds.textContent = state.secondes; }
          // soon at first, then as the service says (every second, less often far back in
          // the queue)
          delay = Math.max(Math.min(1000, delay * 2), state.relance || 0);
          window.setTimeout(poll, delay);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    // soon at first (a small workbook is checked in a fraction of a second)
    var delay = 250;
    window.setTimeout(poll, delay);
  }
})();
