package dav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
)

// Display names of the fixed books, as clients list them.
var bookNames = map[string]string{
	cardstore.BookContacts:  "Contacts",
	cardstore.BookCollected: "Collected addresses",
}

var bookDescriptions = map[string]string{
	cardstore.BookContacts:  "Your contacts",
	cardstore.BookCollected: "Everyone you sent mail to from the webmail",
}

// backend is carddav.Backend over cardstore for the request's account.
type backend struct {
	cards *cardstore.Store
}

func principal(user string) string { return Prefix + user + "/" }
func homeSet(user string) string   { return principal(user) + "books/" }

// BookPath is the path of one of an account's address books.
func BookPath(user, book string) string { return homeSet(strings.ToLower(user)) + book + "/" }

func (b *backend) CurrentUserPrincipal(ctx context.Context) (string, error) {
	return principal(userOf(ctx)), nil
}

func (b *backend) AddressBookHomeSetPath(ctx context.Context) (string, error) {
	return homeSet(userOf(ctx)), nil
}

func (b *backend) book(user, name string) carddav.AddressBook {
	return carddav.AddressBook{
		Path:            BookPath(user, name),
		Name:            bookNames[name],
		Description:     bookDescriptions[name],
		MaxResourceSize: b.cards.Limits().CardBytes,
		SupportedAddressData: []carddav.AddressDataType{
			{ContentType: vcard.MIMEType, Version: "3.0"},
			{ContentType: vcard.MIMEType, Version: "4.0"},
		},
	}
}

func (b *backend) ListAddressBooks(ctx context.Context) ([]carddav.AddressBook, error) {
	user := userOf(ctx)
	var out []carddav.AddressBook
	for _, name := range cardstore.Books {
		out = append(out, b.book(user, name))
	}
	return out, nil
}

// splitPath turns /dav/USER/books/BOOK/[NAME] into BOOK and NAME; ok is false for
// any path outside the account's home set.
func splitPath(user, p string) (book, name string, ok bool) {
	rest, found := strings.CutPrefix(p, homeSet(user))
	if !found {
		return "", "", false
	}
	book, name, _ = strings.Cut(rest, "/")
	if !cardstore.IsBook(book) || strings.Contains(name, "/") {
		return "", "", false
	}
	return book, name, true
}

func notFound() error {
	return webdav.NewHTTPError(http.StatusNotFound, errors.New("carddav: not found"))
}

func (b *backend) GetAddressBook(ctx context.Context, p string) (*carddav.AddressBook, error) {
	user := userOf(ctx)
	book, name, ok := splitPath(user, strings.TrimSuffix(p, "/")+"/")
	if !ok || name != "" {
		return nil, notFound()
	}
	ab := b.book(user, book)
	return &ab, nil
}

func (b *backend) CreateAddressBook(context.Context, *carddav.AddressBook) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("carddav: the address books are fixed"))
}

func (b *backend) DeleteAddressBook(context.Context, string) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("carddav: the address books are fixed"))
}

func object(user string, c *cardstore.Card) (*carddav.AddressObject, error) {
	card, err := vcard.NewDecoder(bytes.NewReader(c.Data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("stored card %s: %w", c.Name, err)
	}
	return &carddav.AddressObject{
		Path:          BookPath(user, c.Book) + c.Name,
		ModTime:       c.Modified,
		ContentLength: int64(len(c.Data)),
		ETag:          c.ETag,
		Card:          card,
	}, nil
}

func (b *backend) GetAddressObject(ctx context.Context, p string, _ *carddav.AddressDataRequest) (*carddav.AddressObject, error) {
	user := userOf(ctx)
	book, name, ok := splitPath(user, p)
	if !ok || name == "" {
		return nil, notFound()
	}
	c, err := b.cards.Get(ctx, user, book, name)
	if errors.Is(err, cardstore.ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	return object(user, c)
}

func (b *backend) ListAddressObjects(ctx context.Context, p string, _ *carddav.AddressDataRequest) ([]carddav.AddressObject, error) {
	user := userOf(ctx)
	book, name, ok := splitPath(user, strings.TrimSuffix(p, "/")+"/")
	if !ok || name != "" {
		return nil, notFound()
	}
	cards, err := b.cards.List(ctx, user, book)
	if err != nil {
		return nil, err
	}
	out := make([]carddav.AddressObject, 0, len(cards))
	for i := range cards {
		ao, err := object(user, &cards[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *ao)
	}
	return out, nil
}

func (b *backend) QueryAddressObjects(ctx context.Context, p string, q *carddav.AddressBookQuery) ([]carddav.AddressObject, error) {
	all, err := b.ListAddressObjects(ctx, p, &q.DataRequest)
	if err != nil {
		return nil, err
	}
	// RFC 6352 section 10.5: a filter without prop-filters matches every card
	// (go-webdav's anyof of nothing would match none).
	if len(q.PropFilters) == 0 {
		if q.Limit > 0 && q.Limit < len(all) {
			all = all[:q.Limit]
		}
		return all, nil
	}
	return carddav.Filter(q, all)
}

func etagOf(m webdav.ConditionalMatch) (string, error) {
	if !m.IsSet() || m.IsWildcard() {
		return string(m), nil
	}
	return m.ETag()
}

func (b *backend) PutAddressObject(ctx context.Context, p string, card vcard.Card, opts *carddav.PutAddressObjectOptions) (*carddav.AddressObject, error) {
	user := userOf(ctx)
	book, name, ok := splitPath(user, p)
	if !ok || name == "" || !cardstore.ValidName(name) {
		return nil, webdav.NewHTTPError(http.StatusForbidden, errors.New("carddav: cards live in an address book, one path segment each"))
	}
	var cond cardstore.Condition
	var err error
	if opts != nil {
		if cond.IfMatch, err = etagOf(opts.IfMatch); err != nil {
			return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
		}
		if cond.IfNoneMatch, err = etagOf(opts.IfNoneMatch); err != nil {
			return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
		}
	}
	// RFC 6350 section 6.7.9 / RFC 6352 section 5.1: a card has a UID; one without
	// gets none here (the unique index ignores empty UIDs) rather than a refusal,
	// since some clients omit it.
	if card.Value(vcard.FieldVersion) == "" {
		card.SetValue(vcard.FieldVersion, "3.0")
	}
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		return nil, carddav.NewPreconditionError(carddav.PreconditionValidAddressData)
	}
	c, _, err := b.cards.Put(ctx, user, book, name, card.Value(vcard.FieldUID), buf.Bytes(), cond)
	switch {
	case err == nil:
	case errors.Is(err, cardstore.ErrPrecondition):
		return nil, webdav.NewHTTPError(http.StatusPreconditionFailed, err)
	case errors.Is(err, cardstore.ErrUIDConflict):
		return nil, carddav.NewPreconditionError(carddav.PreconditionNoUIDConflict)
	case errors.Is(err, cardstore.ErrTooLarge):
		return nil, carddav.NewPreconditionError(carddav.PreconditionMaxResourceSize)
	case errors.Is(err, cardstore.ErrQuota):
		return nil, webdav.NewHTTPError(http.StatusInsufficientStorage, err)
	default:
		return nil, err
	}
	return &carddav.AddressObject{
		Path:          path.Join(BookPath(user, book), name),
		ModTime:       c.Modified,
		ContentLength: int64(buf.Len()),
		ETag:          c.ETag,
		Card:          card,
	}, nil
}

func (b *backend) DeleteAddressObject(ctx context.Context, p string) error {
	user := userOf(ctx)
	book, name, ok := splitPath(user, p)
	if !ok || name == "" {
		return notFound()
	}
	err := b.cards.Delete(ctx, user, book, name, "")
	if errors.Is(err, cardstore.ErrNotFound) {
		return notFound()
	}
	return err
}
