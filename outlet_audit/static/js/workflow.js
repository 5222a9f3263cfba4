// Workflow pages (no inline handlers: the CSP forbids them).
// The print button of the commitment letter and the receipt.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
// The queue's filters fold away on a phone; from tablet width up they stand open.
if (window.matchMedia("(min-width: 768px)").matches) {
  document.querySelectorAll("details[data-open-wide]").forEach((details) => {
    details.open = true;
  });
}
