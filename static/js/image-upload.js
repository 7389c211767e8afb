/*
 * Pictures in the post editor: a button, drag-and-drop and paste upload an image (after
 * asking for its alt text) and insert `![alt](url)` at the cursor. The server checks and
 * cleans every file; this only sends it.
 */
"use strict";

(() => {
  const translate = (text) => (window.gettext ? window.gettext(text) : text);
  const fill = (format, values) =>
    window.interpolate ? window.interpolate(format, values, true) : format;

  // Blank lines around the picture, so that it stands as a paragraph of its own.
  function spacing(neighbour, atEdge) {
    if (neighbour === "" || atEdge(neighbour, "\n\n")) {
      return "";
    }
    return atEdge(neighbour, "\n") ? "\n" : "\n\n";
  }

  function insertAtCursor(textarea, text) {
    const { selectionStart: start, selectionEnd: end, value } = textarea;
    const before = spacing(value.slice(0, start), (text, edge) => text.endsWith(edge));
    const after = spacing(value.slice(end), (text, edge) => text.startsWith(edge));
    textarea.setRangeText(before + text + after, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  async function upload(textarea, file, status) {
    const question = fill(translate("Describe “%(name)s” for readers who cannot see it:"), {
      name: file.name || translate("the pasted picture"),
    });
    const alt = window.prompt(question, "");
    if (!alt || !alt.trim()) {
      status.textContent = translate("Not uploaded: a picture needs alt text.");
      return;
    }
    const data = new FormData();
    data.append("file", file);
    data.append("alt_text", alt.trim());
    data.append("csrfmiddlewaretoken", textarea.form.elements.csrfmiddlewaretoken.value);
    status.textContent = fill(translate("Uploading %(name)s…"), { name: file.name });
    let answer;
    try {
      const response = await fetch(textarea.dataset.imageUploadUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
      });
      answer = response.headers.get("Content-Type") === "application/json"
        ? await response.json()
        : { errors: { file: [fill(translate("The server refused the upload (%(status)s)."), { status: response.status })] } };
    } catch {
      answer = { errors: { file: [translate("The server could not be reached.")] } };
    }
    if (answer.markdown) {
      insertAtCursor(textarea, answer.markdown);
      status.textContent = translate("Picture inserted.");
    } else {
      status.textContent = Object.values(answer.errors).flat().join(" ");
    }
  }

  function uploadAll(textarea, files, status) {
    const pictures = Array.from(files).filter((file) => file.type.startsWith("image/"));
    pictures.reduce((previous, file) => previous.then(() => upload(textarea, file, status)), Promise.resolve());
    return pictures.length > 0;
  }

  function setUp(textarea) {
    const chooser = Object.assign(document.createElement("input"), {
      type: "file",
      accept: "image/jpeg,image/png,image/gif,image/webp",
      multiple: true,
      hidden: true,
    });
    const button = Object.assign(document.createElement("button"), {
      type: "button",
      className: "button image-upload-button",
      textContent: translate("Insert image…"),
    });
    const status = Object.assign(document.createElement("p"), { className: "image-upload-status" });
    status.setAttribute("role", "status");
    const bar = Object.assign(document.createElement("div"), { className: "image-upload" });
    bar.append(button, chooser, status);
    (textarea.closest(".markdown-editor") || textarea).after(bar);

    button.addEventListener("click", () => chooser.click());
    chooser.addEventListener("change", () => {
      uploadAll(textarea, chooser.files, status);
      chooser.value = "";
    });
    textarea.addEventListener("dragover", (event) => {
      if (event.dataTransfer.types.includes("Files")) {
        event.preventDefault();
      }
    });
    textarea.addEventListener("drop", (event) => {
      if (uploadAll(textarea, event.dataTransfer.files, status)) {
        event.preventDefault();
      }
    });
    textarea.addEventListener("paste", (event) => {
      if (uploadAll(textarea, event.clipboardData.files, status)) {
        event.preventDefault();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    // After post-editor.js has wrapped the textarea with its preview.
    setTimeout(() => {
      const textarea = document.querySelector("textarea[data-image-upload-url]");
      if (textarea) {
        setUp(textarea);
      }
    });
  });
})();
