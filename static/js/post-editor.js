/*
 * The post editor of the admin: a live preview rendered by the server (the same
 * pipeline as saving), and a copy of unsaved text kept in this browser until a save
 * succeeds, offered back when the form is opened again.
 *
 * Loaded on every post page of the admin: after a save, the next page (the post list,
 * or the form again) shows whether it succeeded.
 */
"use strict";

(() => {
  const PREVIEW_DELAY_MS = 500;
  const UNSAVED_PREFIX = "markup:unsaved:";
  const SUBMITTED = "markup:submitted";
  const KEPT_FIELDS = ["title", "summary", "body"];

  // Django's JavaScript catalog (admin:jsi18n), present on the admin's form pages.
  const translate = (text) => (window.gettext ? window.gettext(text) : text);
  const fill = (format, values) =>
    window.interpolate ? window.interpolate(format, values, true) : format;

  function element(tag, properties = {}, children = []) {
    const node = Object.assign(document.createElement(tag), properties);
    node.append(...children);
    return node;
  }

  function forgetTextOnceSaved() {
    const key = sessionStorage.getItem(SUBMITTED);
    if (key === null) {
      return;
    }
    sessionStorage.removeItem(SUBMITTED);
    if (document.querySelector(".messagelist .success")) {
      localStorage.removeItem(key);
    }
  }

  function keepUnsavedText(key, fields) {
    const values = Object.fromEntries(fields.map((field) => [field.name, field.value]));
    try {
      localStorage.setItem(key, JSON.stringify({ keptAt: new Date().toISOString(), values }));
    } catch {
      // Storage full or turned off: the editor works on without the copy.
    }
  }

  function readUnsavedText(key) {
    try {
      const copy = JSON.parse(localStorage.getItem(key));
      return copy && copy.values && copy.keptAt ? copy : null;
    } catch {
      return null;
    }
  }

  function offerUnsavedText(form, key, fields, savedAt) {
    const copy = readUnsavedText(key);
    if (copy === null) {
      return;
    }
    const differs = fields.some(
      (field) => field.name in copy.values && copy.values[field.name] !== field.value,
    );
    const newer = !savedAt || Date.parse(copy.keptAt) > Date.parse(savedAt);
    if (!differs || !newer) {
      return;
    }
    const keptAt = new Date(copy.keptAt);
    const time = element("time", { dateTime: copy.keptAt, textContent: keptAt.toLocaleString() });
    const restore = element("button", {
      type: "button",
      className: "button unsaved-restore",
      textContent: translate("Restore"),
    });
    const discard = element("button", {
      type: "button",
      className: "button unsaved-discard",
      textContent: translate("Discard"),
    });
    const question = element("p", {}, [translate("Restore unsaved text from "), time, "?"]);
    const offer = element("div", { className: "unsaved-offer" }, [question, restore, " ", discard]);
    offer.setAttribute("role", "status");
    restore.addEventListener("click", () => {
      for (const field of fields) {
        if (field.name in copy.values) {
          field.value = copy.values[field.name];
          field.dispatchEvent(new Event("input", { bubbles: true }));
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
      offer.remove();
      form.elements.body.focus();
    });
    discard.addEventListener("click", () => {
      localStorage.removeItem(key);
      offer.remove();
    });
    form.querySelector("fieldset").before(offer);
  }

  function buildPreview(textarea) {
    const form = textarea.form;
    const editor = element("div", { className: "markdown-editor" });
    textarea.before(editor);
    const status = element("p", { className: "markdown-preview-status", id: "markdown-preview-status" });
    status.setAttribute("aria-live", "polite");
    // Focusable, so that a long preview scrolls from the keyboard too.
    const rendered = element("div", { className: "post-preview", tabIndex: 0 });
    const heading = element("h2", {
      id: "markdown-preview-heading",
      textContent: translate("Preview"),
    });
    const panel = element("section", { className: "markdown-preview" }, [heading, status, rendered]);
    panel.setAttribute("aria-labelledby", "markdown-preview-heading");
    editor.append(textarea, panel);

    let current = null;

    function show(answer) {
      panel.classList.toggle("is-refused", "error" in answer);
      if ("error" in answer) {
        rendered.replaceChildren(element("p", { className: "errornote", textContent: answer.error }));
        status.textContent = answer.error;
        return;
      }
      rendered.innerHTML = answer.html; // the server's sanitized rendering of the body
      const words = window.ngettext
        ? window.ngettext("%(words)s word", "%(words)s words", answer.word_count)
        : "%(words)s words";
      const count = fill(words, { words: answer.word_count.toLocaleString() });
      const minutes = fill(translate("%(minutes)s min read"), { minutes: answer.reading_minutes });
      status.textContent = answer.word_count ? `${count} · ${minutes}` : count;
    }

    async function refresh() {
      current?.abort(); // the newer text supersedes a request still on its way
      const request = new AbortController();
      current = request;
      const data = new FormData();
      data.append("body", textarea.value);
      data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
      let answer;
      try {
        const response = await fetch(textarea.dataset.previewUrl, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          signal: request.signal,
        });
        if (response.status === 403) {
          answer = {
            error: translate(
              "No preview: sign in again (in another tab). Your text is kept in this browser.",
            ),
          };
        } else if (response.headers.get("Content-Type") === "application/json") {
          answer = await response.json();
        } else {
          answer = {
            error: fill(translate("No preview: the server refused the request (%(status)s)."), {
              status: response.status,
            }),
          };
        }
      } catch (error) {
        if (error.name === "AbortError") {
          return;
        }
        answer = { error: translate("No preview: the server could not be reached.") };
      }
      if (current === request) {
        current = null;
        show(answer);
      }
    }

    return refresh;
  }

  function setUpEditor(textarea) {
    const form = textarea.form;
    const key = UNSAVED_PREFIX + textarea.dataset.draftKey;
    const fields = KEPT_FIELDS.map((name) => form.elements[name]).filter(Boolean);
    const refreshPreview = buildPreview(textarea);
    offerUnsavedText(form, key, fields, textarea.dataset.savedAt);
    let timer;
    form.addEventListener("input", (event) => {
      if (fields.includes(event.target)) {
        keepUnsavedText(key, fields);
      }
      if (event.target === textarea) {
        clearTimeout(timer);
        timer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
      }
    });
    form.addEventListener("submit", () => sessionStorage.setItem(SUBMITTED, key));
    refreshPreview();
  }

  document.addEventListener("DOMContentLoaded", () => {
    forgetTextOnceSaved();
    const textarea = document.querySelector("textarea[data-preview-url][data-draft-key]");
    if (textarea) {
      setUpEditor(textarea);
    }
  });
})();
