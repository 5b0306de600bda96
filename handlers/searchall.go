package handlers

import (
	"context"
	"net/http"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/web/mailclient"
)

// Acting on every result of a search (issue 14 item 6): "select all N results"
// and "mark all results read" cover all pages of the search, not the page on
// screen. The search is run again at the server (UID SEARCH in each folder it
// covers) and the action applies to what it finds, so the user gets exactly what
// the list said, as UID sets, with the same Undo as any other action.

// searchSelection is every message the search of list finds, by mailbox, the
// mailboxes in the search's order.
func (h *Handlers) searchSelection(ctx context.Context, r *http.Request, cl *mailclient.Client, list listPlace) ([]string, map[string]imap.UIDSet, error) {
	folders, err := cl.Folders(ctx)
	if err != nil {
		return nil, nil, err
	}
	req, _, ok := searchRequest(list, folders, Lang(r), userZone(r))
	if !ok {
		return nil, nil, nil // an in: folder that does not exist: no results
	}
	sets, err := cl.SearchUIDs(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	var boxes []string
	for _, mb := range req.Mailboxes {
		if _, ok := sets[mb]; ok {
			boxes = append(boxes, mb)
		}
	}
	return boxes, sets, nil
}

// setJob is one IMAP command's worth of an action: UIDs of one mailbox.
type setJob struct {
	box string
	set imap.UIDSet
}

// chunked lists the sets of an action in order, a long set (every result of a
// big search) cut so that no command line grows past what servers accept.
func chunked(boxes []string, sets map[string]imap.UIDSet) []setJob {
	var out []setJob
	for _, b := range boxes {
		for _, part := range mailclient.SplitUIDSet(sets[b]) {
			out = append(out, setJob{b, part})
		}
	}
	return out
}
