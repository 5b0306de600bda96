package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/searchquery"
	"github.com/yubinmail/yubin/web/settings"
)

// listPlace is where a list screen is: a mailbox page, or a search (in one folder or
// all) and its page. It travels in the URL (f, q, all, page) from the list to the
// message and back, so "back" returns to the same search and page.
type listPlace struct {
	Mailbox string
	Query   string // normalised search box, "" for the mailbox itself
	All     bool   // search every folder
	Page    int
}

// placeFrom reads the place from a request's query or form.
func placeFrom(r *http.Request) listPlace {
	p := listPlace{Mailbox: mailboxParam(r), Query: searchquery.Normalize(r.FormValue("q"))}
	p.Page, _ = strconv.Atoi(r.FormValue("page"))
	if p.Page < 0 || p.Page > 1<<20 {
		p.Page = 0
	}
	p.All = p.Query != "" && r.FormValue("all") == "1"
	return p
}

// values are the place's URL parameters.
func (p listPlace) values() url.Values {
	v := url.Values{"f": {p.Mailbox}}
	if p.Query != "" {
		v.Set("q", p.Query)
		if p.All {
			v.Set("all", "1")
		}
	}
	if p.Page > 0 {
		v.Set("page", strconv.Itoa(p.Page))
	}
	return v
}

// URL is the list screen of this place.
func (p listPlace) URL() string { return "/mail?" + p.values().Encode() }

// atPage is the same place on another page.
func (p listPlace) atPage(n int) listPlace { p.Page = n; return p }

// messageURL opens a message from this place: the search comes along (for "back" and
// for the highlights).
func (p listPlace) messageURL(mailbox string, uid uint32) string {
	if p.Query == "" && p.Page == 0 {
		return messageURL(mailbox, uid)
	}
	v := p.values()
	v.Set("f", mailbox)
	if mailbox != p.Mailbox {
		v.Set("list", p.Mailbox) // the list the search was made from
	}
	v.Set("uid", strconv.FormatUint(uint64(uid), 10))
	return "/msg?" + v.Encode()
}

// backPlace is the list a message was opened from.
func backPlace(r *http.Request) listPlace {
	p := placeFrom(r)
	if from := r.FormValue("list"); from != "" && p.Query != "" {
		p.Mailbox = from
	}
	return p
}

// userZone is the time zone the user's dates are in (their setting, else their
// browser's, else the server's): list and message times are shown in it, and
// before:/after: days start at its midnight.
func userZone(r *http.Request) *time.Location {
	return settings.FromContext(r.Context()).Location(browserZone(r))
}

// searchMessages runs a search from the list screen: in the current folder, in every
// folder (all=1 or in:all), or in the folder an in: term names.
func searchMessages(ctx context.Context, cl *mailclient.Client, p listPlace, folders []mailclient.Folder, lang templates.Lang, zone *time.Location, perPage int) (*mailclient.MessagePage, searchquery.Query, error) {
	req, q, ok := searchRequest(p, folders, lang, zone)
	if !ok {
		// A folder that does not exist has nothing in it.
		return &mailclient.MessagePage{Mailbox: p.Mailbox, Pages: 1}, q, nil
	}
	req.Page, req.PerPage = p.Page, perPage
	mp, err := cl.SearchMessages(ctx, req)
	return mp, q, err
}

// searchRequest is what the search of place asks the server, and where; false when
// an in: term names a folder that does not exist.
func searchRequest(p listPlace, folders []mailclient.Folder, lang templates.Lang, zone *time.Location) (mailclient.SearchRequest, searchquery.Query, bool) {
	q := searchquery.Parse(p.Query)
	c := searchquery.Compile(q, zone)
	boxes := []string{p.Mailbox}
	switch {
	case c.Folder != "" && (strings.EqualFold(c.Folder, "all") || c.Folder == "すべて"):
		boxes = allFolders(folders)
	case c.Folder != "":
		name, ok := resolveFolder(folders, lang, c.Folder)
		if !ok {
			return mailclient.SearchRequest{}, q, false
		}
		boxes = []string{name}
	case p.All:
		boxes = allFolders(folders)
	}
	req := mailclient.SearchRequest{Mailboxes: boxes, Criteria: c.Criteria}
	if !c.Range.Open() {
		req.Within = c.Range.Contains
	}
	return req, q, true
}

// allFolders are the folders "all folders" searches: every selectable one but Trash
// and Junk (as other mail programs do: what was thrown away does not crowd the
// results; in:trash searches it).
func allFolders(folders []mailclient.Folder) []string {
	var out []string
	for _, f := range folders {
		if f.NoSelect || f.SpecialUse == mailclient.UseTrash || f.SpecialUse == mailclient.UseJunk {
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

// specialNames are the in: names of the special-use folders, in both languages.
var specialNames = map[string]string{
	"inbox": `\Inbox`, "受信箱": `\Inbox`, "受信トレイ": `\Inbox`,
	"sent": mailclient.UseSent, "送信済み": mailclient.UseSent,
	"drafts": mailclient.UseDrafts, "draft": mailclient.UseDrafts, "下書き": mailclient.UseDrafts,
	"trash": mailclient.UseTrash, "ゴミ箱": mailclient.UseTrash, "ごみ箱": mailclient.UseTrash,
	"junk": mailclient.UseJunk, "spam": mailclient.UseJunk, "迷惑メール": mailclient.UseJunk,
	"archive": mailclient.UseArchive, "アーカイブ": mailclient.UseArchive,
}

// resolveFolder finds the folder an in: term names: its IMAP name, its last level,
// a special use (in:sent), or the label the user sees (in:送信済み).
func resolveFolder(folders []mailclient.Folder, lang templates.Lang, name string) (string, bool) {
	use, special := specialNames[strings.ToLower(name)]
	for _, pass := range []func(f mailclient.Folder) bool{
		func(f mailclient.Folder) bool { return f.Name == name },
		func(f mailclient.Folder) bool { return special && f.SpecialUse == use },
		func(f mailclient.Folder) bool {
			return strings.EqualFold(f.Name, name) || strings.EqualFold(f.Display, name)
		},
		func(f mailclient.Folder) bool {
			icon, ok := useIcons[f.SpecialUse]
			return ok && strings.EqualFold(lang.T(icon), name)
		},
	} {
		for _, f := range folders {
			if !f.NoSelect && pass(f) {
				return f.Name, true
			}
		}
	}
	return "", false
}

// marks converts highlight spans for a template.
func marks(s string, needles []string) []templates.Span {
	if len(needles) == 0 {
		return nil
	}
	spans := searchquery.Highlight(s, needles)
	out := make([]templates.Span, len(spans))
	for i, sp := range spans {
		out[i] = templates.Span{Text: sp.Text, Mark: sp.Mark}
	}
	return out
}

// rowRef is how a list row names its message in the actions form: the UID alone for
// a message of the listed mailbox, "UID:mailbox" for one found in another folder.
func rowRef(listed, mailbox string, uid uint32) string {
	u := strconv.FormatUint(uint64(uid), 10)
	if mailbox == listed || mailbox == "" {
		return u
	}
	return u + ":" + mailbox
}

// parseRefs groups the rows an action applies to by mailbox.
func parseRefs(listed string, refs []string) (map[string][]uint32, []string) {
	out := map[string][]uint32{}
	var order []string
	for _, v := range refs {
		u, mb, found := strings.Cut(v, ":")
		if !found || mb == "" {
			mb = listed
		}
		// A conversation's row names all its messages: "UID.UID.UID" (conversations.go).
		for _, one := range strings.Split(u, ".") {
			uid := parseUID(one)
			if uid == 0 {
				continue
			}
			if _, ok := out[mb]; !ok {
				order = append(order, mb)
			}
			out[mb] = append(out[mb], uid)
		}
	}
	return out, order
}
