/* The book's small scripts (no network): code cells collapsed behind a toggle, numbers in
   tables right-aligned, and the claims ledger's filter by chapter, kind and verdict. */
document.addEventListener("DOMContentLoaded", () => {
  // code cells: collapsed by default, a reader can open them (their outputs stay shown)
  document.querySelectorAll("div.cell > div.cell_input").forEach((input) => {
    if (input.closest("details")) return;
    const box = document.createElement("details");
    box.className = "code-toggle";
    const label = document.createElement("summary");
    label.textContent = "Show the code";
    box.appendChild(label);
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
  });
  // numbers in table cells right-aligned (digits, signs, separators, an exponent)
  const number = /^[\s(]*[-\u2212+]?[\d,]*\.?\d+(e[-+]?\d+)?%?[\s)]*$/i;
  document.querySelectorAll("article table td").forEach((td) => {
    if (number.test(td.textContent)) td.classList.add("num");
  });
  // the ledger's filter: show the cards whose chapter, kind and verdict match the choices
  const form = document.querySelector("form.ledger-filter");
  if (!form) return;
  const count = form.querySelector(".ledger-count");
  const apply = () => {
    const want = {};
    form.querySelectorAll("select").forEach((s) => { want[s.dataset.filter] = s.value; });
    let shown = 0;
    const cards = document.querySelectorAll(".ledger .evidence");
    cards.forEach((card) => {
      const ok = Object.entries(want).every(([k, v]) => !v || card.dataset[k] === v);
      card.hidden = !ok;
      if (ok) shown += 1;
    });
    document.querySelectorAll(".ledger-chapter").forEach((ch) => {
      ch.hidden = !ch.querySelector(".evidence:not([hidden])");
    });
    count.textContent = `${shown} of ${cards.length} claims`;
  };
  form.addEventListener("change", apply);
  apply();
});
