package smtpd

import (
	"context"
	"time"
)

// shutdownError is what a connection's reads return once a shutdown has begun. It
// is a timeout, so go-smtp answers it with 421 before closing, which RFC 5321
// section 3.8 asks of a server that is going away.
type shutdownError struct{}

func (shutdownError) Error() string   { return "smtpd: server shutting down" }
func (shutdownError) Timeout() bool   { return true }
func (shutdownError) Temporary() bool { return true }

var errShuttingDown error = shutdownError{}

// Shutdown stops the server gracefully: the listeners stop accepting, every session
// without an open transaction gets 421 at its next read (idle ones at once) and is
// closed, and a session with one (a recipient accepted, the message not yet
// answered) may go on through DATA until its message is stored and answered (250,
// or its refusal); then it gets 421 too. When ctx ends first, what is left is
// closed as by Close: those messages get no 250 and their senders keep them.
// Nothing acknowledged is lost either way.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed.Load() || s.draining.Swap(true) {
		s.mu.Unlock()
		return s.Close()
	}
	lns := s.listeners
	idle := make([]*connInfo, 0, len(s.conns))
	for c := range s.conns {
		idle = append(idle, c)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	// A session blocked reading its next command wakes now; one that reads later
	// sees draining in connInfo.Read. Only open transactions are still read.
	for _, c := range idle {
		if !c.inTransaction.Load() {
			c.Conn.SetReadDeadline(time.Now())
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		open := len(s.conns)
		s.mu.Unlock()
		if open == 0 {
			break
		}
		select {
		case <-ctx.Done():
			s.log.Warn("smtp shutdown: sessions still open at the deadline are closed", "open", open)
			return s.Close()
		case <-tick.C:
		}
	}
	return s.Close()
}
