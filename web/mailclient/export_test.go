package mailclient

// WithoutExtensions makes cl behave as against a server without SORT, THREAD and
// CONDSTORE, so the fallbacks are tested against our own server too.
func (cl *Client) WithoutExtensions() { cl.noExtensions = true }
