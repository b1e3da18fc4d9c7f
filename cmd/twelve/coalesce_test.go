package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the writes made to the connections it accepts.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c countingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// TestCoalescedResponses: through the coalescing listener every response
// arrives whole — small, larger than what a connection holds back, to a
// request with a body, on a kept-alive connection and on one that closes —
// and a page of a lesson's size leaves in one write instead of two.
func TestCoalescedResponses(t *testing.T) {
	page := bytes.Repeat([]byte("lesson "), 9000/7)                   // about a lesson page
	export := []byte(strings.Repeat("row,of,a,long,export\n", 10000)) // over maxHeld
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) { w.Write(page) })
	mux.HandleFunc("GET /export", func(w http.ResponseWriter, r *http.Request) {
		for rest := export; len(rest) > 0; {
			n := min(3000, len(rest))
			w.Write(rest[:n])
			http.NewResponseController(w).Flush()
			rest = rest[n:]
		}
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // HTTP/1 handlers read the body before they answer
		w.Write(body)
	})

	for _, held := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var writes atomic.Int64
		var l net.Listener = countingListener{ln, &writes}
		if held {
			l = coalescing{l}
		}
		srv := &http.Server{Handler: mux}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
		base := "http://" + ln.Addr().String()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}

		get := func(path string, want []byte) int64 {
			t.Helper()
			before := writes.Load()
			resp, err := client.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || !bytes.Equal(body, want) {
				t.Fatalf("held=%v GET %s: %d bytes, error %v; want %d bytes", held, path, len(body), err, len(want))
			}
			return writes.Load() - before
		}
		get("/page", page) // opens the connection
		pageWrites := get("/page", page)
		get("/export", export)
		get("/page", page)
		resp, err := client.Post(base+"/echo", "text/plain", bytes.NewReader(export))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(body, export) {
			t.Fatalf("held=%v POST /echo: %d bytes back, want %d", held, len(body), len(export))
		}
		req, _ := http.NewRequest("GET", base+"/page", nil)
		req.Close = true
		if resp, err = client.Do(req); err != nil {
			t.Fatal(err)
		}
		if body, _ = io.ReadAll(resp.Body); !bytes.Equal(body, page) {
			t.Fatalf("held=%v GET /page with Connection: close: %d bytes, want %d", held, len(body), len(page))
		}
		resp.Body.Close()

		switch {
		case held && pageWrites != 1:
			t.Errorf("held: a %d-byte page took %d writes, want 1", len(page), pageWrites)
		case !held && pageWrites < 2:
			t.Errorf("not held: a %d-byte page took %d writes; the test expects net/http's two, so it would not see a change", len(page), pageWrites)
		}
	}
}

// TestCoalescedContinue: a client that waits for "100 Continue" before it
// sends its body gets it, though the server sends it and then reads.
func TestCoalescedContinue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(bytes.ToUpper(body))
	})}
	go srv.Serve(coalescing{ln})
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // a guard against hanging, not a measurement
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 100") {
		t.Fatalf("waiting for 100 Continue: %q, %v", status, err)
	}
	if blank, err := r.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q, %v", blank, err)
	}
	io.WriteString(conn, "hello")
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(resp.Body); string(body) != "HELLO" {
		t.Errorf("body %q, want HELLO", body)
	}
}
