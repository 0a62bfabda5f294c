// Shows the whole navigation in the sidebar. Each page carries only its trail through the
// tree (so its size does not grow with the help center); this replaces it with the one
// navigation document every page shares, opening the groups on the way to this page.
(() => {
  const sidebar = document.querySelector("nav.sidebar[data-nav]");
  if (!sidebar || !window.fetch || !window.DOMParser) return;
  const open = new Set(sidebar.dataset.open.split(" ").filter(Boolean));
  async function show() {
    let text;
    try {
      const response = await fetch(sidebar.dataset.nav, { cache: "no-cache" });
      if (!response.ok) return;
      text = await response.text();
    } catch {
      return;  // the trail stays
    }
    const whole = new DOMParser().parseFromString(text, "text/html");
    const tree = whole.querySelector("nav.sidebar > ul");
    if (!tree) return;
    for (const link of tree.querySelectorAll("li.group > a[data-key]")) {
      if (open.has(link.dataset.key)) link.parentElement.classList.add("open");
    }
    sidebar.replaceChildren(document.adoptNode(tree));
    sidebar.dataset.whole = "";
  }
  show();
  // The preview's live script says when the navigation changed.
  window.addEventListener("publisher:navigation", show);
})();
