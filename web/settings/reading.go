package settings

// Layouts of the mail screen on a wide screen. A phone always shows the list and
// the message as separate screens.
const (
	// LayoutPanes is folders | list | reading pane: a message opens beside the list.
	LayoutPanes = "panes"
	// LayoutList is the list alone; a message opens as its own page.
	LayoutList = "list"
)

// Grouping of the message list.
const (
	GroupingOn  = "on"  // one row per conversation
	GroupingOff = "off" // one row per message
)

// Where a delete, archive or move from a message's own view goes.
const (
	AfterMoveNext = "next" // the next message of the list (older), else the previous
	AfterMoveList = "list" // back to the list
)

// DefaultGrouping is off: a list of conversations needs the whole mailbox
// threaded (IMAP THREAD over every message, or the headers of the newest
// MaxLocalThreads on a server without it) the first time a session shows it.
// yubin's server keeps each mailbox's threading input once read, so a later
// session's first grouped list costs about 190 ms at 100,000 messages, but the
// first after a server start reads everything again (1.2-1.9 s), as does every
// session on a server without such a cache; a list of messages reads only the
// page it shows. New mail and deletions after that only update the session's
// threading (mailclient's threadmemo.go). People who want conversations turn them
// on once.
const DefaultGrouping = GroupingOff

// ReadingPane says whether a wide screen shows a message beside the list.
func (s Settings) ReadingPane() bool { return s.Layout != LayoutList }

// Conversations says whether the list groups messages by conversation.
func (s Settings) Conversations() bool {
	if s.Grouping == "" {
		return DefaultGrouping == GroupingOn
	}
	return s.Grouping == GroupingOn
}

// NextAfterMove says whether deleting, archiving or moving the message being read
// opens the next one (else the list).
func (s Settings) NextAfterMove() bool { return s.AfterMove != AfterMoveList }

// normalizeReading forgets values this version does not know.
func (s *Settings) normalizeReading() {
	if s.Layout != LayoutPanes && s.Layout != LayoutList {
		s.Layout = ""
	}
	if s.Grouping != GroupingOn && s.Grouping != GroupingOff {
		s.Grouping = ""
	}
	if s.AfterMove != AfterMoveNext && s.AfterMove != AfterMoveList {
		s.AfterMove = ""
	}
}
