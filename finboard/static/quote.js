// Quote the selected passage: a "Quote" link pressed while part of its comment is selected
// carries that text (?text=...), and the reply form opens with just it quoted. Without
// JavaScript, or with nothing selected there, the link quotes the whole comment.
"use strict";
document.addEventListener("mousedown", (event) => {
  const link = event.target.closest && event.target.closest("a.quote-link");
  if (!link) return;
  const selection = window.getSelection();
  const text = selection ? selection.toString().trim() : "";
  const body = link.closest("article.comment")?.querySelector(".markdown");
  const url = new URL(link.href);
  if (text && body && selection.anchorNode && body.contains(selection.anchorNode)) {
    url.searchParams.set("text", text.slice(0, 2000));
  } else {
    url.searchParams.delete("text");
  }
  link.href = url.toString();
});
