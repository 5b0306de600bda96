package templates

// Page is what every page needs.
type Page struct {
	Lang  Lang
	Title string
	User  string // signed-in address; "" on public pages
	CSRF  string // per-session token for forms
	// BodyClass lets CSS switch layouts (for example "reading" hides the folder list
	// on phones so the list and the message are separate screens).
	BodyClass string
	// Unread is the inbox's unread count, shown in the tab's title ("(3) Inbox").
	Unread uint32
}

// Shell is the signed-in frame: folder list, flash message.
type Shell struct {
	Page
	Folders []Folder
	Current string // current mailbox name
	Flash   string // one-line confirmation
	Error   string // one-line problem
	Usage   Usage  // storage use; empty Text when the server reports none
	// Undo is the token of the last action's undo (handlers/organize.go), posted
	// back from the status line with UndoBack, the page to return to; "" for none.
	Undo     string
	UndoBack string
	// SendUndo is a sent message still inside its undo-send delay (handlers/outbox.go), or nil.
	SendUndo *UndoBar
}

// Usage is the account's storage use under the folder list.
type Usage struct {
	Text    string // "12.3 MB / 1.0 GB (1%)" or "12.3 MB"
	Percent int    // of the limit, 0–100; -1 when there is no limit
}

// Folder is one entry of the folder list.
type Folder struct {
	Name     string
	Label    string // translated name of a special folder, or the folder's own name
	Depth    int
	Icon     string // inbox, drafts, sent, trash, junk, archive, folder
	Unseen   uint32
	Messages uint32
	URL      string
	NoSelect bool
}

// Row is one line of the message list.
type Row struct {
	UID        uint32
	From       string
	Subject    string
	Date       string
	FullDate   string
	Size       string
	URL        string
	Unread     bool
	Flagged    bool
	Answered   bool
	Attachment bool
	Draft      bool
	// Ref names the message in the actions form (handlers.rowRef): the UID, or
	// "UID:mailbox" for a search result from another folder.
	Ref string
	// SubjectMarks and FromMarks are Subject and From split at the search's matches
	// (nil outside a search); Folder is the folder of a result from another one.
	SubjectMarks []Span
	FromMarks    []Span
	Folder       string
	// Preview is a line of the text; Initial and AvatarHue draw the sender's
	// avatar (a letter on one of eight colours, av0–av7, picked from the address).
	Preview   string
	Initial   string
	AvatarHue string
	// Count is the number of messages of the row's conversation (0 or 1 when the
	// list is not grouped or the message stands alone); Unread among them.
	Count       int
	UnreadCount int
}

// Span is a run of text; Mark says it matched the search.
type Span struct {
	Text string
	Mark bool
}

// MailboxData is the message list screen.
type MailboxData struct {
	Shell
	Mailbox     string
	Label       string
	Page        int
	Rows        []Row
	RangeText   string
	NewerURL    string
	OlderURL    string
	MoveTargets []Folder
	IsTrash     bool
	IsJunk      bool
	Total       int    // messages in the folder; 0 in a search
	Query       string // the search, "" when listing the whole mailbox
	AllFolders  bool   // the search covers every folder
	ClearURL    string // back to the whole mailbox from a search
	// Panes shows the reading pane beside the list (wide screens); Open is the
	// message shown in it (nil: none chosen), OpenUID its UID.
	Panes   bool
	Open    *MessageData
	OpenUID uint32
	// Grouped lists conversations, one row each.
	Grouped bool
}

// Segment is a run of text, a link when URL is set.
type Segment struct {
	Text, URL string
	Mark      bool // a search match
}

// Attachment is one attachment line.
type Attachment struct {
	Name string
	Size string
	URL  string
	Path string
	Type string
	// PreviewPageURL shows the message with this attachment previewed (images
	// and PDFs); Previewing says it is the one shown now.
	PreviewPageURL string
	Previewing     bool
}

// MessageData is the message screen.
type MessageData struct {
	Shell
	Mailbox string
	UID     uint32
	Subject string
	From    string
	To      string
	Cc      string
	Date    string
	// Unverified is the From domain when the server could not verify the message
	// as coming from it (its Authentication-Results), else "".
	Unverified    string
	Text          []Segment
	ShowHTML      bool
	HTMLURL       string
	ImagesBlocked bool
	ShowImagesURL string
	// ImagesSender is the sender offered "always show images from" (images
	// blocked) or whose images show because the user allowed them (ImagesAuto).
	ImagesSender string
	ImagesAuto   bool
	// Preview is the attachment shown inline under the list, if any.
	Preview     Preview
	PlainURL    string
	HTMLViewURL string
	HasHTML     bool
	Attachments []Attachment
	BackURL     string
	BackLabel   string // "" for the plain "Back to list"
	// The search the message was opened from, carried through its actions; and
	// the subject split at the search's matches (nil outside a search).
	ListQuery     string
	ListAll       bool
	ListPage      int
	ListMailbox   string
	SubjectMarks  []Span
	ReplyURL      string
	ReplyAllURL   string
	ForwardURL    string
	ForwardAttURL string // forward as attachment (message/rfc822)
	EditDraftURL  string
	Flagged       bool
	MoveTargets   []Folder
	IsTrash       bool
	// Navigation: the newer (previous in the list) and older (next) message, ""
	// at either end; NextRef is what a delete or move from here opens next.
	PrevURL, NextURL string
	NextRef          string
	// InPane renders the message for the reading pane: no back button.
	InPane bool
	// Conversation is the rest of the message's conversation, oldest first, when
	// the list groups them (the message itself is the newest, shown in full).
	Conversation []ThreadItem
}

// ThreadItem is one message of a conversation shown above the one being read:
// collapsed (From, date and a line of text) unless Open.
type ThreadItem struct {
	From, Date, Preview, URL string
	Open                     bool
	Text                     []Segment
	HasHTML                  bool
	Folder                   string // another folder's message (Sent): its name
}

// ComposeData is the compose form, fresh or refilled after an error.
type ComposeData struct {
	Shell
	To, Cc, Bcc  string
	Subject      string
	Body         string
	InReplyTo    string
	References   string
	ReplyMailbox string
	ReplyUID     uint32
	SrcMailbox   string // message whose attachments are carried over (forward, draft)
	SrcUID       uint32
	Keep         []Attachment
	DraftUID     uint32 // the draft being edited, deleted on send or re-save
	LimitText    string
	LimitBytes   int64        // the attachment budget, for the browser's check at selection
	UsedBytes    int64        // what the attachments already take of it
	Froms        []FromChoice // the addresses the user may send as; the first is the account's
	From         string       // the chosen one
	Signature    string       // the chosen address's signature, as it was put in Body
	FocusBody    bool         // a reply: the cursor starts in the body, above the quote
	SendAt       string       // "send later" time as the form shows it (2006-01-02T15:04), in ZoneName
	ZoneName     string       // the user's time zone
	CanSchedule  bool         // the webmail has an outbox: "send later" is offered
	// FwdMailbox and FwdUID name the message whose HTML a forward keeps: the
	// original, or (FwdDraft) a reopened draft carrying the forwarded block.
	FwdMailbox string
	FwdUID     uint32
	FwdDraft   bool
	// Rich says the editor starts in rich text (the setting, or a rich draft);
	// RichHTML is its sanitized content when the server has it (a reopened draft,
	// the form shown again), inline images as data: URLs (web/richtext.ForEditor).
	Rich     bool
	RichHTML string
}

// FromChoice is one address of the compose form's From menu.
type FromChoice struct {
	Address, Label, Signature string
}

// FoldersData is the folder management screen.
type FoldersData struct {
	Shell
	Editable []Folder
}

// LoginData is the sign-in form.
type LoginData struct {
	Page
	Email string
	Next  string
	Error string
}

// ErrorData is an error page.
type ErrorData struct {
	Page
	Status  int
	Message string
	// SignedOut: no session, so the way on is signing in (the inbox would only
	// send there with a detour).
	SignedOut bool
}

// SetupData is the "set up your phone or mail app" page: the server's name, the
// listeners that are on, and the profile link with its QR code.
type SetupData struct {
	Shell
	Hostname   string
	Services   []SetupService
	ProfileURL string // absolute URL of the .mobileconfig download
	QR         string // data: URL of a PNG QR code of ProfileURL; "" when none
}

// SetupService is one row of the setup page's table.
type SetupService struct {
	Protocol string // "IMAP", "POP3", "SMTP"
	Port     int
	Security string // "SSL/TLS" or "STARTTLS"
}

// VacationData is the Out-of-office page: the form as saved (or as posted, when a
// field needs fixing) and what the user should know before saving.
type VacationData struct {
	Shell
	Available   bool // a ManageSieve server is configured
	On          bool
	Start, End  string // YYYY-MM-DD or ""
	Days        int
	Subject     string
	Message     string
	Problem     string // i18n key of what to fix, or ""
	Foreign     bool   // the webmail's script was edited elsewhere and will be replaced
	OtherActive string // name of another active script that saving "on" replaces
	// ContactsOnly answers only senders in the user's contacts; ContactsAvailable
	// says the webmail has a CardDAV server to take them from.
	ContactsOnly, ContactsAvailable bool
}

// FiltersData is the Filters page: the rules in order, the add form (as posted,
// when a field needs fixing) and what the user should know before saving.
type FiltersData struct {
	Shell
	Available   bool
	Rules       []FilterRule
	Fields      []FilterField // what a rule may look at
	Actions     []FilterField // what a rule may do
	Action      string        // the add form's choice
	Folders     []string      // suggestions for the folder field
	Field       string        // the add form
	Header      string        // the field name of a "header" rule
	Contains    string
	Folder      string
	Problem     string // i18n key of what to fix, or ""
	Foreign     bool
	OtherActive string
}

// FilterRule is one rule as listed: Index is its place, for the delete form.
type FilterRule struct {
	Index                   int
	Field, Contains, Folder string
	Header                  string // the field name of a "header" rule
	Action                  string // sieveform.Actions
	Off                     bool   // turned off: listed, not applied
}

// FilterField is one choice of what a rule looks at.
type FilterField struct{ Value, Label string }

// ScriptData is the raw Sieve editor for experts: one script's text, the
// server's complaint about it (line and column), and the other scripts.
type ScriptData struct {
	Shell
	Available bool
	Name      string
	Text      string
	Active    bool   // Name is the active script
	Problem   string // the server's error text, shown as is
	Scripts   []ScriptLink
}

// ScriptLink is one of the user's scripts on the editor page.
type ScriptLink struct {
	Name, URL string
	Active    bool
}

// SettingsData is the preferences page (handlers/settings.go fills it from
// web/settings).
type SettingsData struct {
	Shell
	Problem        string // why the posted form was not saved
	DisplayName    string
	Signature      string
	SignatureAbove bool
	RichText       bool       // compose opens in rich text
	Identities     []Identity // the saved ones, then one empty row to add another
	Senders        []string   // the addresses the server lets the user send as; nil = unknown
	UILang         string     // "", "en" or "ja"
	TimeZone       string
	Zones          []string // suggestions for the time zone field
	PerPage        int
	PageSizes      []int
	UndoSeconds    int
	// Reading: web/settings Layout, Grouping and AfterMove ("" = the default).
	Layout, Grouping, AfterMove string
}

// Identity is one "send as" address on the settings page.
type Identity struct {
	Address, Name, ReplyTo, Signature string
}

// UndoBar is a sent message still inside its undo delay.
type UndoBar struct {
	ID      int64
	Seconds int // left before it goes
}

// ScheduledData is the Scheduled view: messages waiting to be sent.
type ScheduledData struct {
	Shell
	Zone  string
	Items []ScheduledItem
}

// ScheduledItem is one waiting message.
type ScheduledItem struct {
	ID           int64
	When, ISO    string // in the user's zone
	To, Subject  string
	State, Error string
	Editable     bool // not being sent right now
}
