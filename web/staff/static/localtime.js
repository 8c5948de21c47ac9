// Shows each <time class="local"> in the browser's time zone, on one line;
// the UTC time the server wrote stays in its title (shown on hover).
"use strict";
(function () {
  var thisYear = new Date().getFullYear();
  document.querySelectorAll("time.local[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d)) {
      return;
    }
    var opts = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    if (d.getFullYear() !== thisYear) {
      opts.year = "numeric";
    }
    el.textContent = d.toLocaleString(undefined, opts);
  });
})();
