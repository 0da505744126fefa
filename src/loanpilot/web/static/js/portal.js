// Portal progressive enhancement (the pages work without it):
// - the calculator recalculates when the product, amount, term or method change;
// - an application form's submit button is disabled once pressed (the idempotency key makes a
//   second submission harmless anyway).
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  var calc = document.getElementById("calc-form");
  if (calc) {
    var productSelect = calc.querySelector("select[name=product]");
    if (productSelect) {
      // A new product has other bounds and methods: reload the page for it.
      productSelect.addEventListener("change", function () {
        var params = new URLSearchParams({ product: productSelect.value });
        window.location.assign(calc.action + "?" + params.toString());
      });
    }
    var refresh = debounce(function () {
      var params = new URLSearchParams(new FormData(calc));
      fetch(calc.action + "?" + params.toString(), { headers: { Accept: "text/html" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var main = document.getElementById("main");
          var fresh = doc.getElementById("main");
          if (main && fresh) {
            // Keep the focused field: replace everything after the form only.
            var oldForm = document.getElementById("calc-form");
            var newForm = fresh.querySelector("#calc-form");
            oldForm.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
            if (newForm) {
              newForm.querySelectorAll(".field-error").forEach(function (e) {
                var anchor = oldForm.querySelector("[name=" + e.previousElementSibling.previousElementSibling.name + "]");
                if (anchor) { anchor.nextElementSibling.after(e); }
              });
            }
            while (oldForm.nextSibling) { oldForm.nextSibling.remove(); }
            var node = newForm ? newForm.nextSibling : null;
            while (node) {
              var next = node.nextSibling;
              main.appendChild(node);
              node = next;
            }
            window.history.replaceState(null, "", calc.action + "?" + params.toString());
          }
        })
        .catch(function () { /* the submit button still works */ });
    }, 400);
    calc.querySelectorAll("input, select[name=method]").forEach(function (field) {
      field.addEventListener("input", refresh);
      field.addEventListener("change", refresh);
    });
  }

  document.querySelectorAll("form").forEach(function (form) {
    var button = form.querySelector("button[data-once]");
    if (!button) { return; }
    form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
