// Twelve's side of the LTI Client Side postMessages (platform storage):
// where a browser keeps this site's cookies out of an LMS's iframe, the
// launch's state lives in the LMS's own storage instead. The login page
// puts it there before going on to the LMS (data-lti-mode="put"); a
// launch that comes back without its cookie asks for it and posts the
// launch again with it (data-lti-mode="get"). Messages go to the LMS's
// origin only, and answers count only from it.
(function () {
  "use strict";

  var el = document.getElementById("lti-storage");
  if (!el) {
    return;
  }
  var d = el.dataset;
  var timeoutMs = 3000;

  // storageFrame is the window that keeps the LMS's storage: the frame
  // lti_storage_target names beside this one, or this frame's parent (or,
  // in a window of its own, its opener) for "_parent".
  function storageFrame(name) {
    var parent = window.parent !== window ? window.parent : window.opener;
    if (!parent) {
      return null;
    }
    if (name === "_parent") {
      return parent;
    }
    try {
      return parent.frames[name] || null;
    } catch (e) {
      return null;
    }
  }

  function messageID() {
    if (window.crypto && window.crypto.getRandomValues) {
      var a = new Uint32Array(4);
      window.crypto.getRandomValues(a);
      return Array.prototype.map.call(a, function (n) { return n.toString(16); }).join("-");
    }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  // send posts one message and calls done with the answer, or with null
  // when there is none (an error answer, no storage frame, a timeout).
  function send(subject, fields, done) {
    var target = storageFrame(d.target);
    if (!target || !d.origin) {
      done(null);
      return;
    }
    var id = messageID();
    var finished = false;
    function finish(answer) {
      if (finished) {
        return;
      }
      finished = true;
      window.removeEventListener("message", onMessage);
      done(answer);
    }
    function onMessage(ev) {
      var m = ev.data;
      if (ev.origin !== d.origin || !m || typeof m !== "object" ||
          m.subject !== subject + ".response" || m.message_id !== id) {
        return;
      }
      finish(m.error ? null : m);
    }
    window.addEventListener("message", onMessage);
    var msg = { subject: subject, message_id: id };
    Object.keys(fields).forEach(function (k) { msg[k] = fields[k]; });
    try {
      target.postMessage(msg, d.origin);
    } catch (e) {
      finish(null);
      return;
    }
    window.setTimeout(function () { finish(null); }, timeoutMs);
  }

  if (d.ltiMode === "put") {
    // Whatever the answer, go on: the flow cookie may still do.
    send("lti.put_data", { key: d.key, value: d.value }, function () {
      window.location.assign(d.next);
    });
  } else if (d.ltiMode === "get") {
    send("lti.get_data", { key: d.key }, function (answer) {
      var form = document.getElementById("lti-relaunch");
      if (answer && typeof answer.value === "string" && answer.value !== "" && form) {
        form.elements.lti_flow.value = answer.value;
        form.submit();
        return;
      }
      var failed = document.getElementById("lti-storage-failed");
      if (failed) {
        failed.hidden = false;
      }
    });
  }
})();
