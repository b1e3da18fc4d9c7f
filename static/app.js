// Twelve's progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  var store;
  try {
    store = window.localStorage;
    store.setItem("twelve-probe", "1");
    store.removeItem("twelve-probe");
  } catch (e) {
    store = null;
  }

  // Quiz drafts: answers are kept in this browser, keyed by the attempt,
  // so a reload, a dropped connection or a sign-in round trip loses nothing.
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name.indexOf("a.") === 0;
    });
  }

  function snapshot(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) {
          (data[el.name] = data[el.name] || []).push(el.value);
        }
      } else if (el.value !== "") {
        data[el.name] = [el.value];
      }
    });
    return data;
  }

  function restore(form, data) {
    var restored = 0;
    fields(form).forEach(function (el) {
      var values = data[el.name];
      if (!values) {
        return;
      }
      if (el.type === "radio" || el.type === "checkbox") {
        if (values.indexOf(el.value) >= 0 && !el.checked) {
          el.checked = true;
          restored++;
        }
      } else if (el.value === "") {
        el.value = values[0];
        restored++;
      }
    });
    return restored;
  }

  function setupDraft(form) {
    var key = form.getAttribute("data-draft-key");
    var status = form.querySelector("[data-draft-status]");
    if (!store || !key) {
      return;
    }
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    if (form.getAttribute("data-draft-restore") === "true") {
      try {
        var saved = JSON.parse(store.getItem(key) || "null");
        if (saved && restore(form, saved) > 0) {
          say("Your earlier answers to this attempt were restored from this browser.");
        }
      } catch (e) {
        store.removeItem(key);
      }
    }
    function save() {
      store.setItem(key, JSON.stringify(snapshot(form)));
      say("Answers saved in this browser. They are stored for real when you submit.");
    }
    form.addEventListener("change", save);
    form.addEventListener("input", save);
  }

  function clearDrafts() {
    var el = document.querySelector("[data-clear-draft]");
    if (store && el) {
      store.removeItem(el.getAttribute("data-clear-draft"));
    }
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-key]"), setupDraft);
    clearDrafts();
    focusErrors();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
