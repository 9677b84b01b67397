// « Contrôler dans Excel »: a button copies each text to paste (the text stays selectable
// without JavaScript).
(function () {
  "use strict";
  document.querySelectorAll("[data-copier]").forEach(function (button) {
    var id = button.getAttribute("data-copier");
    var area = document.getElementById(id);
    var said = document.querySelector('[data-copie-faite="' + id + '"]');
    button.hidden = false;
    button.addEventListener("click", function () {
      function done() { said.textContent = "Copié : collez-le dans xlwings Lite (Ctrl+V)."; }
      area.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(done, function () {
          said.textContent = "Copie impossible ici : le texte est sélectionné, faites Ctrl+C.";
        });
      } else {
        said.textContent = "Le texte est sélectionné : faites Ctrl+C.";
      }
    });
  });
})();
