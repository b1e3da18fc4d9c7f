// The LTI pages that talk to the LMS (Dynamic Registration's last page and
// Deep Linking's answer). Kept out of the pages themselves: the CSP allows
// scripts from this site only. Both pages say what to do without it.
(function () {
  "use strict";

  // Dynamic Registration: ask the LMS to close its registration dialog,
  // whether it opened Twelve in a window or in a frame.
  if (document.querySelector("[data-lti-close]")) {
    var host = window.opener || (window.parent !== window ? window.parent : null);
    if (host) {
      host.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }

  // Deep Linking: post the signed items to the LMS at once.
  var form = document.querySelector("form[data-lti-autosubmit]");
  if (form) {
    form.submit();
  }
})();
