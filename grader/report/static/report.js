// The report's own script: draws the charts embedded in the page (with the vendored
// Vega-Lite) and makes tables sortable by a click or Enter on a column heading.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-value");
    return raw !== null ? raw : cell.textContent.trim();
  }

  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    var numeric = a !== "" && b !== "" && !isNaN(x) && !isNaN(y);
    if (numeric) return x - y;
    if (a === "" && b !== "") return 1;
    if (b === "" && a !== "") return -1;
    return a.localeCompare(b);
  }

  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var order = compare(cellValue(r1, index), cellValue(r2, index));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      th.tabIndex = 0;
      th.title = "sort by this column";
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th); }
      });
    });
  });

  document.querySelectorAll("script.chart").forEach(function (source) {
    var target = document.getElementById(source.getAttribute("data-target"));
    if (!target) return;
    if (typeof window.vegaEmbed !== "function") {
      target.textContent = "The chart library did not load; the table below has the same numbers.";
      return;
    }
    var spec = JSON.parse(source.textContent);
    var renderer = source.getAttribute("data-renderer") || "svg";
    window.vegaEmbed(target, spec, { actions: false, renderer: renderer }).then(function () {
      target.setAttribute("data-drawn", "yes");
    }).catch(function (error) {
      target.setAttribute("data-drawn", "failed");
      target.textContent = "This chart could not be drawn (" + error + "); the table below has the same numbers.";
    });
  });
})();
