// The report's step-through of the lessons' training loop: a slider over the steps; at
// step k it fills in the graph's values and gradients, the chain-rule explanation, the
// optimizer's update and the point on the loss curve. Plain JavaScript, no libraries, no
// server: the numbers come from the JSON block the report embeds (results.json's
// lessons.walkthrough). "#step=k" in the address opens step k.
(function () {
  "use strict";
  var steps = JSON.parse(document.getElementById("stepper-data").textContent);
  var slider = document.getElementById("stepper-slider");

  function num(v) {
    var text = Math.abs(v) >= 1e-4 || v === 0 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
    return text.replace("-", "\u2212");
  }
  function list(values) { return "[" + values.map(num).join(", ") + "]"; }
  function put(id, text) {
    var el = document.getElementById(id);
    el.textContent = text;
    var room = Number(el.getAttribute("data-fit"));  // squeeze a label wider than its box
    el.removeAttribute("textLength");
    if (room && el.getComputedTextLength && el.getComputedTextLength() > room) {
      el.setAttribute("textLength", String(room));
      el.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function curve() {
    var svg = document.getElementById("stepper-curve");
    var w = 360, h = 160, pad = 28;
    var logs = steps.map(function (s) { return Math.log10(Math.max(s.loss, 1e-12)); });
    var lo = Math.min.apply(null, logs), hi = Math.max.apply(null, logs);
    var span = hi - lo || 1;
    function xy(i) {
      var x = pad + (w - 2 * pad) * (steps.length > 1 ? i / (steps.length - 1) : 0);
      var y = h - pad - (h - 2 * pad) * (logs[i] - lo) / span;
      return [x, y];
    }
    var points = logs.map(function (_, i) { return xy(i).join(","); }).join(" ");
    document.getElementById("stepper-line").setAttribute("points", points);
    svg.setAttribute("data-xy", JSON.stringify(logs.map(function (_, i) { return xy(i); })));
    return xy;
  }

  var xy = curve();

  function show(k) {
    var s = steps[k];
    slider.value = String(k);
    put("stepper-k", String(s.step));
    put("node-w", "w = " + num(s.w));
    put("node-w-grad", "∂loss/∂w = " + num(s.grad_w));
    put("node-x", "x = " + list(s.x));
    put("node-y", "y = " + list(s.y));
    put("node-yhat", "ŷ = w·x = " + list(s.y_hat));
    put("node-yhat-grad", "∂loss/∂ŷ = " + list(s.grad_y_hat));
    put("node-s", "s = ŷ − y = " + list(s.s));
    put("node-s-grad", "∂loss/∂s = " + list(s.grad_s));
    put("node-loss", "loss = mean(s²) = " + num(s.loss));
    put("stepper-explanation", s.explanation);
    put("stepper-update", s.update);
    put("stepper-w-after", num(s.w_after));
    var p = xy(k);
    var dot = document.getElementById("stepper-dot");
    dot.setAttribute("cx", p[0]);
    dot.setAttribute("cy", p[1]);
    put("stepper-loss-label", "step " + s.step + ": loss " + num(s.loss));
    document.getElementById("stepthrough").setAttribute("data-step", String(s.step));
  }

  slider.max = String(steps.length - 1);
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  var match = /step=(\d+)/.exec(window.location.hash);
  var start = match ? Math.min(Math.max(Number(match[1]) - 1, 0), steps.length - 1) : 0;
  slider.value = String(start);
  slider.dispatchEvent(new Event("input"));
})();
