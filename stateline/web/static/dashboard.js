// Stateline auditor's dashboard: draw the report's charts with the Vega libraries the console
// serves, and make each bar lead to the requests behind it, as the tables' numbers do.
//
// Vega reads the charts' expressions with its own interpreter (ast), so the page runs under
// the console's Content-Security-Policy: no eval, no inline script or style.
"use strict";

(function () {
  // The requests behind a bar: the chart's drill-down link with the bar's label and column.
  function behind(drill, outcomes, name, datum) {
    let label = datum[drill.field];
    if (name === "over_time") label = new Date(label).toISOString().slice(0, 10);
    const column = name === "classes" ? datum.side : outcomes[datum.outcome];
    if (label === undefined || label === null || !column) return null;
    const url = new URL(drill.href, window.location.href);
    url.searchParams.set("label", String(label));
    if (column !== "all") url.searchParams.set("column", column);
    return url.pathname + url.search;
  }

  function draw() {
    const holder = document.getElementById("dashboard-charts");
    if (!holder || typeof window.vegaEmbed !== "function") return;
    const charts = JSON.parse(holder.textContent);
    for (const [name, spec] of Object.entries(charts.specs)) {
      const target = document.querySelector(`.chart[data-chart="${name}"]`);
      if (!target || target.dataset.drawn) continue;
      const options = { actions: false, renderer: "svg", ast: true, defaultStyle: false,
        tooltip: false };
      window.vegaEmbed(target, spec, options).then((result) => {
        target.dataset.drawn = "true";
        result.view.addEventListener("click", (event, item) => {
          const href = item && item.datum && behind(charts.drill[name], charts.outcomes, name,
            item.datum);
          if (href) window.location.assign(href);
        });
      }).catch(() => {
        target.textContent = "This chart cannot be drawn here; the table below has its figures.";
        target.dataset.drawn = "failed";
      });
    }
  }

  document.addEventListener("DOMContentLoaded", draw);
  // The filter form swaps the figures in with HTMX: draw the new ones.
  document.addEventListener("htmx:afterSettle", draw);
})();
