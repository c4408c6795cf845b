// A character counter for a note's text box: `<p data-counter-for="ID" data-max="N">`.
// The server checks the length too; this only shows it while typing. Characters are
// counted as the server counts them (code points, after trimming).
for (const counter of document.querySelectorAll("[data-counter-for]")) {
  const box = document.getElementById(counter.dataset.counterFor);
  const max = Number(counter.dataset.max);
  if (!box || !max) continue;
  const near = Math.floor(max * 0.9);
  const described = (box.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!counter.id) counter.id = `${box.id}-counter`;
  box.setAttribute("aria-describedby", [...described, counter.id].join(" "));
  const update = () => {
    const n = [...box.value.trim()].length;
    const over = n > max;
    counter.textContent = `${n} / ${max}` + (over ? ` (${n - max} too many)` : "");
    counter.classList.toggle("near", n >= near && !over);
    counter.classList.toggle("over", over);
  };
  box.addEventListener("input", update);
  update();
}
