package main

import (
	"net"
	"sync"
	"time"
)

// maxHeld bounds what a connection holds back before writing: a response
// larger than this (a long CSV export) leaves in pieces of about this size.
const maxHeld = 64 << 10

// coalescing hands net/http connections that hold back what it writes for
// a response until it turns to read again. net/http writes a response
// through a 4 KB buffer, so a 9 KB lesson page costs two write system
// calls, and the client is woken twice; held back, a response leaves in
// one write. Nothing is held past the response: net/http sets a read
// deadline, reads or closes the connection as soon as a response is
// complete (and before it waits for a request body), and each of those
// first writes out what is held.
type coalescing struct{ net.Listener }

func (l coalescing) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &heldConn{Conn: c}, nil
}

// heldConn is a connection whose writes are held until it is next read
// from, given a read deadline, or closed.
type heldConn struct {
	net.Conn
	mu   sync.Mutex // net/http reads in the background while a handler writes
	held []byte
	err  error // the first write error, returned from then on
}

func (c *heldConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if len(c.held)+len(p) > maxHeld {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxHeld {
			n, err := c.Conn.Write(p)
			c.err = err
			return n, err
		}
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

func (c *heldConn) flushLocked() error {
	if len(c.held) == 0 || c.err != nil {
		return c.err
	}
	_, c.err = c.Conn.Write(c.held)
	if cap(c.held) > 16<<10 {
		c.held = nil // a long response's buffer is not kept for the connection's life
	} else {
		c.held = c.held[:0]
	}
	return c.err
}

func (c *heldConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *heldConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *heldConn) SetReadDeadline(t time.Time) error {
	c.flush() // a failed write shows at the next read or write
	return c.Conn.SetReadDeadline(t)
}

func (c *heldConn) SetDeadline(t time.Time) error {
	c.flush()
	return c.Conn.SetDeadline(t)
}

func (c *heldConn) Close() error {
	c.flush()
	return c.Conn.Close()
}

// CloseWrite lets net/http half-close a connection it is done with, after
// what is held has left.
func (c *heldConn) CloseWrite() error {
	c.flush()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
