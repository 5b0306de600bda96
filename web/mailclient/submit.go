package mailclient

import (
	"context"
	"errors"
	"fmt"
)

// Submission is one message the user sends, with what sending it settles.
type Submission struct {
	From       string   // envelope sender: the signed-in user
	Recipients []string // envelope recipients, Bcc included
	Raw        []byte   // the message as built (web/compose), without Bcc
	// Answers is the original of a reply (mailbox and UID), which gets \Answered;
	// zero UID for none.
	AnswersMailbox string
	AnswersUID     uint32
	// DraftUID is the draft in the Drafts folder the message was written in, removed
	// once it is sent; 0 for none.
	DraftUID uint32
}

// Submit sends a message the way a mail client does (RFC 6409 submission, then the
// IMAP bookkeeping): submit it, file a \Seen copy in Sent, set \Answered on the
// original of a reply, and expunge the draft it came from.
//
// Only the submission decides success: err is non-nil when the message did not go
// out (a *SendError when the server refused it). Once it is out, sending again would
// duplicate the mail, so a failed bookkeeping step does not fail Submit; the steps
// that failed are returned in followUp, for the caller to log.
func (cl *Client) Submit(ctx context.Context, s Submission) (followUp error, err error) {
	if err := cl.Send(ctx, s.From, s.Recipients, s.Raw); err != nil {
		return nil, err
	}
	var errs []error
	if _, err := cl.Append(ctx, cl.SpecialFolder(ctx, UseSent), []string{`\Seen`}, s.Raw); err != nil {
		errs = append(errs, fmt.Errorf("copy to Sent: %w", err))
	}
	if s.AnswersUID != 0 && s.AnswersMailbox != "" {
		if err := cl.SetFlag(ctx, s.AnswersMailbox, []uint32{s.AnswersUID}, `\Answered`, true); err != nil {
			errs = append(errs, fmt.Errorf(`set \Answered: %w`, err))
		}
	}
	if s.DraftUID != 0 {
		if err := cl.Expunge(ctx, cl.SpecialFolder(ctx, UseDrafts), []uint32{s.DraftUID}); err != nil {
			errs = append(errs, fmt.Errorf("remove the sent draft: %w", err))
		}
	}
	return errors.Join(errs...), nil
}
