package ltiplatform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
)

// pageTemplates are the platform's pages. Scripts and styles carry a
// per-response CSP nonce. (Inline scripts are fine here: this is the LMS,
// not Twelve.)
const pageTemplates = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Twelve test LMS</title>
<style nonce="{{.Nonce}}">
body { font: 1rem/1.5 system-ui, sans-serif; margin: 0; background: #f1f5f9; color: #0f172a; }
header { background: #7c2d12; color: #fff; padding: .75rem 1.5rem; }
header a { color: #fff; }
main { max-width: 64rem; margin: 1.5rem auto; padding: 1.5rem; background: #fff; border-radius: .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
a.button, button { display: inline-block; margin: .1rem; padding: .3rem .6rem; font: inherit; font-size: .875rem; color: #fff; background: #9a3412; border: 0; border-radius: .3rem; text-decoration: none; cursor: pointer; }
a.button.alt { background: #475569; }
iframe { width: 100%; height: 75vh; border: 1px solid #94a3b8; border-radius: .3rem; }
.note { color: #475569; font-size: .875rem; }
code { font-size: .85rem; }
</style>
</head>
<body>
<header><strong>Twelve test LMS</strong> · <a href="/">{{.Course}}</a></header>
{{end}}

{{define "autopost"}}{{template "head" .}}
<main>
<p>{{.Title}}</p>
<form method="post" action="{{.Action}}" data-testid="autopost">
{{- range .Fields}}
<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{- end}}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="{{.Nonce}}">document.forms[0].submit();</script>
</main>
</body>
</html>
{{end}}

{{define "refused"}}{{template "head" .}}
<main>
<h1>Request refused</h1>
<p data-testid="reason">{{.Reason}}</p>
</main>
</body>
</html>
{{end}}

{{define "home"}}{{template "head" .}}
<main>
<h1>{{.Course}}</h1>
<p class="note">Course <code>{{.ContextID}}</code>, deployment <code>{{.Deployment}}</code>, tool <code>{{.ToolURL}}</code>, client <code>{{.ClientID}}</code>.</p>
<h2>People</h2>
<table data-testid="users">
<thead><tr><th>Name</th><th>Role</th><th>Launch Twelve</th><th>In an iframe</th></tr></thead>
<tbody>
{{- range .Users}}
<tr data-testid="user-{{.ID}}">
<td>{{.Name}}<br><span class="note">{{.Email}}</span></td>
<td>{{.Role}}</td>
<td>
<a class="button" href="{{.Lesson}}" data-testid="launch-{{.ID}}-lesson">Lesson III</a>
<a class="button" href="{{.Quiz}}" data-testid="launch-{{.ID}}-quiz">Quiz III</a>
<a class="button alt" href="{{.Course}}" data-testid="launch-{{.ID}}-course">Course</a>
{{- if .Deep}} <a class="button alt" href="{{.Deep}}" data-testid="launch-{{.ID}}-deep">Add lessons (deep linking)</a>{{end}}
</td>
<td>
<a class="button" href="{{.EmbedLesson}}" data-testid="embed-{{.ID}}-lesson">Lesson III</a>
<a class="button" href="{{.EmbedQuiz}}" data-testid="embed-{{.ID}}-quiz">Quiz III</a>
{{- if .EmbedDeep}} <a class="button alt" href="{{.EmbedDeep}}" data-testid="embed-{{.ID}}-deep">Add lessons</a>{{end}}
</td>
</tr>
{{- end}}
</tbody>
</table>
{{- if .Items}}
<h2>Course content (from deep linking)</h2>
<table data-testid="items">
<thead><tr><th>Item</th><th>Launch as</th></tr></thead>
<tbody>
{{- range .Items}}
<tr><td>{{.Title}}{{if .LineItem}} <span class="note">(graded)</span>{{end}}</td>
<td>{{range .Launches}}<a class="button" href="{{.URL}}">{{.Name}}</a>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Scores}}
<h2>Gradebook</h2>
<table data-testid="scores">
<thead><tr><th>Column</th><th>Student</th><th>Score</th><th>Posts</th><th>Timestamp</th></tr></thead>
<tbody>
{{- range .Scores}}
<tr><td>{{.Column}}</td><td>{{.Student}}</td><td>{{.Score}}</td><td>{{.Posts}}</td><td>{{.Timestamp}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<h2>Tool registration</h2>
<p><a class="button" href="/register/start" data-testid="register">Register Twelve (dynamic registration)</a></p>
<p class="note">Or by hand: issuer <code>{{.Issuer}}</code>, auth <code>{{.Issuer}}/auth</code>, token <code>{{.Issuer}}/token</code>, keys <code>{{.Issuer}}/jwks</code>.</p>
</main>
</body>
</html>
{{end}}

{{define "embed"}}{{template "head" .}}
<main>
<h1>{{.Course}}: Twelve, embedded</h1>
<iframe name="tool" src="{{.Src}}" title="Twelve" data-testid="tool-frame" allow="clipboard-write"></iframe>
<p class="note">postMessages answered: <output data-testid="messages" id="messages">none yet</output></p>
</main>
<script nonce="{{.Nonce}}">
(function () {
  var store = new Map();
  var seen = [];
  var out = document.getElementById('messages');
  window.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || typeof d !== 'object' || typeof d.subject !== 'string' || !e.source) { return; }
    var reply = function (m) { m.message_id = d.message_id; e.source.postMessage(m, e.origin); };
    var k = e.origin + ' ' + d.key;
    switch (d.subject) {
    case 'lti.capabilities':
      reply({subject: 'lti.capabilities.response', supported_messages: [
        {subject: 'lti.capabilities'}, {subject: 'lti.put_data'}, {subject: 'lti.get_data'}]});
      break;
    case 'lti.put_data':
      if (typeof d.key !== 'string' || d.key === '') {
        reply({subject: 'lti.put_data.response', error: {code: 'bad_request', message: 'key is required'}});
        break;
      }
      store.set(k, d.value);
      reply({subject: 'lti.put_data.response', key: d.key, value: d.value});
      break;
    case 'lti.get_data':
      if (store.has(k)) {
        reply({subject: 'lti.get_data.response', key: d.key, value: store.get(k)});
      } else {
        reply({subject: 'lti.get_data.response', key: d.key, error: {code: 'bad_request', message: 'no value for this key'}});
      }
      break;
    default:
      reply({subject: d.subject + '.response', error: {code: 'unsupported_subject', message: 'not supported'}});
      return;
    }
    seen.push(d.subject);
    out.textContent = seen.join(', ');
  });
})();
</script>
</body>
</html>
{{end}}

{{define "register"}}{{template "head" .}}
<main>
<h1>Register Twelve</h1>
<p data-testid="status" id="status">Twelve's registration page is below; finish there.</p>
<iframe src="{{.Src}}" title="Twelve registration" data-testid="tool-frame" id="tool"></iframe>
</main>
<script nonce="{{.Nonce}}">
window.addEventListener('message', function (e) {
  if (!e.data || e.data.subject !== 'org.imsglobal.lti.close') { return; }
  document.getElementById('status').textContent = 'Registration finished. Launches now use the new registration.';
  var f = document.getElementById('tool');
  if (f) { f.remove(); }
});
</script>
</body>
</html>
{{end}}

{{define "deeplinked"}}{{template "head" .}}
<main>
<h1>Content added</h1>
<p data-testid="added">{{len .Items}} item(s) added to {{.Course}}:</p>
<ul>
{{- range .Items}}
<li>{{.Title}}{{if .LineItem}} (graded: line item {{.LineItem.Label}}){{end}}</li>
{{- end}}
</ul>
<p><a href="/">Back to the course</a></p>
</main>
</body>
</html>
{{end}}
`

func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, fmt.Errorf("ltiplatform: parse pages: %w", err)
	}
	return t, nil
}

// page is what every page shows in its head.
type page struct {
	Title, Nonce, Course string
}

type field struct{ Name, Value string }

type autoPostPage struct {
	page
	Action string
	Fields []field
}

type refusedPage struct {
	page
	Reason string
}

// renderAutoPost answers a page whose form posts fields to action at once.
func (p *Platform) renderAutoPost(w http.ResponseWriter, title, action string, fields url.Values) {
	pg := autoPostPage{page: page{Title: title}, Action: action}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		pg.Fields = append(pg.Fields, field{Name: name, Value: fields.Get(name)})
	}
	p.render(w, http.StatusOK, "autopost", "", func(n string) any { pg.Nonce = n; pg.Course = ContextTitle; return pg })
}

// refuse answers an error page (or JSON for service calls) and logs why.
func (p *Platform) refuse(w http.ResponseWriter, r *http.Request, status int, reason string) {
	p.log.Info("refused", "method", r.Method, "path", r.URL.Path, "status", status, "reason", reason)
	if r.URL.Path != "/" && !isPage(r.URL.Path) {
		writeJSON(w, status, "application/json", map[string]string{"error": http.StatusText(status), "error_description": reason})
		return
	}
	pg := refusedPage{page: page{Title: "Request refused", Course: ContextTitle}, Reason: reason}
	p.render(w, status, "refused", "", func(n string) any { pg.Nonce = n; return pg })
}

// isPage tells browser pages from service endpoints, for error answers.
func isPage(path string) bool {
	switch path {
	case "/launch", "/embed", "/auth", "/register/start", "/deeplink/return":
		return true
	}
	return false
}

// render executes a page into a buffer first, so a failed render is a plain
// 500 rather than half a page. frameSrc, when set, may be framed.
func (p *Platform) render(w http.ResponseWriter, status int, name, frameSrc string, data func(nonce string) any) {
	nonce := base64.RawURLEncoding.EncodeToString(randomBytes(16))
	var buf bytes.Buffer
	if err := p.pages.ExecuteTemplate(&buf, name, data(nonce)); err != nil {
		p.log.Error("render", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	csp := "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; base-uri 'none'"
	if frameSrc != "" {
		csp += "; frame-src " + frameSrc
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeJSON answers v as JSON with the given media type.
func writeJSON(w http.ResponseWriter, status int, mediaType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
