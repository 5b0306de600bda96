package handlers

import (
	"net/http"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
)

// conversation fills the rest of a message's conversation when the list groups
// them.
func (h *Handlers) conversation(r *http.Request, cl *mailclient.Client, d *templates.MessageData) error {
	return nil
}
