// Search box suggestions: completions from GET /api/v1/products/suggest as the shopper types.
// Loaded from base.html on every page (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  var input = document.getElementById("site-search");
  if (!input || !input.dataset.suggestUrl || !window.fetch) { return; }

  var form = input.form;
  var list = document.createElement("ul");
  list.id = "site-search-suggestions";
  list.className = "dropdown-menu w-100 search-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.getAttribute("placeholder") || "Suggestions");
  input.parentNode.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  var timer = null;
  var controller = null;
  var active = -1;
  var lastQuery = null;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    var items = options();
    if (!items.length) { return; }
    active = (index + items.length) % items.length;
    items.forEach(function (item, i) {
      item.classList.toggle("active", i === active);
      item.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", items[active].id);
  }

  function choose(name) {
    input.value = name;
    close();
    form.submit();
  }

  function render(items) {
    list.textContent = "";
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.id = "site-search-option-" + i;
      button.className = "dropdown-item text-wrap";
      button.setAttribute("role", "option");
      button.setAttribute("aria-selected", "false");
      button.textContent = item.name;  // text, never HTML
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { choose(item.name); });
      li.appendChild(button);
      list.appendChild(li);
    });
    if (items.length) {
      list.classList.add("show");
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
    active = -1;
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q === lastQuery) { return; }
    lastQuery = q;
    if (!q) { render([]); return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
    fetch(url, { headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (body) { if (input.value.trim() === q) { render(body.items || []); } })
      .catch(function () { /* aborted or offline: keep the box usable */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 150);
  });

  input.addEventListener("keydown", function (event) {
    var open = list.classList.contains("show");
    if (event.key === "ArrowDown" && open) { event.preventDefault(); highlight(active + 1); }
    else if (event.key === "ArrowUp" && open) { event.preventDefault(); highlight(active - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(options()[active].textContent);
    }
  });

  input.addEventListener("blur", function () { setTimeout(close, 100); });
  input.addEventListener("focus", function () { if (options().length && input.value.trim()) { list.classList.add("show"); } });
})();
