// The invitation link stays visible and selectable without JavaScript; this only adds
// a button that copies it.
const input = document.getElementById("invitation-link");
const button = document.getElementById("copy-link");
const status = document.getElementById("copy-status");
if (input && button && status) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Link copied.";
    } catch {
      status.textContent = document.execCommand("copy")
        ? "Link copied."
        : "The link is selected: press Ctrl+C (or ⌘C) to copy it.";
    }
  });
}
