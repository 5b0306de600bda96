package mailclient

// WithoutExtensions makes cl behave as against a server without SORT, THREAD and
// CONDSTORE, so the fallbacks are tested against our own server too.
func (cl *Client) WithoutExtensions() { cl.noExtensions = true }

// FullThreadings is how many times cl threaded a mailbox in full for its
// conversations (rather than adding new mail to what it had).
func (cl *Client) FullThreadings() int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.threadings
}
