package admin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yubinmail/yubin/mailbackend/dnssetup"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// maxHeaderView bounds the header block shown for one queued message.
const maxHeaderView = 64 << 10

type queueData struct {
	page
	Items []store.QueueItem
}

func (s *Server) queueList(w http.ResponseWriter, r *http.Request) {
	s.queuePage(w, r, s.page(w, r, "queue"), http.StatusOK)
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, p page, status int) {
	items, err := queue.List(r.Context(), s.cfg.Store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, queuePage(queueData{page: p, Items: items}))
}

// queueID reads the entry a POST names.
func queueID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	return id
}

func (s *Server) queueRetry(w http.ResponseWriter, r *http.Request) {
	id := queueID(r)
	var err error
	if s.cfg.Queue != nil {
		err = s.cfg.Queue.RetryNow(r.Context(), id)
	} else {
		err = queue.Retry(r.Context(), s.cfg.Store, id)
	}
	if err != nil {
		s.queuePage(w, r, s.failed(w, r, "queue", err), statusOf(err))
		return
	}
	s.log.Info("admin: queue entry retried", "id", id)
	done(w, r, Prefix+"queue", "queue.retried", strconv.FormatInt(id, 10))
}

func (s *Server) queueDelete(w http.ResponseWriter, r *http.Request) {
	id := queueID(r)
	if err := queue.Delete(r.Context(), s.cfg.Store, id); err != nil {
		s.queuePage(w, r, s.failed(w, r, "queue", err), statusOf(err))
		return
	}
	s.log.Info("admin: queue entry deleted", "id", id)
	done(w, r, Prefix+"queue", "queue.deleted", strconv.FormatInt(id, 10))
}

type headersData struct {
	page
	Item    *store.QueueItem
	Headers string
}

// queueHeaders shows the header block of a queued message as it will be sent.
func (s *Server) queueHeaders(w http.ResponseWriter, r *http.Request) {
	p := s.page(w, r, "queue")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var it *store.QueueItem
	if err == nil {
		it, err = s.cfg.Store.QueueItem(r.Context(), id)
	} else {
		err = store.ErrNotFound
	}
	if err != nil {
		s.queuePage(w, r, s.failed(w, r, "queue", err), statusOf(err))
		return
	}
	f, err := s.cfg.Store.OpenBlob(it.BlobID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	hdr, err := headerBlock(f, maxHeaderView)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, headersPage(headersData{page: p, Item: it, Headers: hdr}))
}

// headerBlock reads the header section of a message (RFC 5322 section 2.1: up to
// the first empty line), at most limit bytes of it.
func headerBlock(r io.Reader, limit int) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, int64(limit)))
	var b bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if strings.TrimRight(line, "\r\n") == "" && (err == nil || line != "") {
			break
		}
		b.WriteString(strings.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

type dnsData struct {
	page
	Domains []string
	Domain  string
	Enabled bool
	Results []dnssetup.Result
	Bad     int
	Err     string
}

// dnsCheckTimeout bounds one domain's check: each lookup has its own timeout in
// the resolver, and a page must come back.
const dnsCheckTimeout = 30 * time.Second

// dns shows a domain's records as `yubin dns check` does, checked on request.
func (s *Server) dns(w http.ResponseWriter, r *http.Request) {
	p := s.page(w, r, "dns")
	d := dnsData{page: p, Enabled: s.cfg.DNS != nil}
	var err error
	if d.Domains, err = s.cfg.Store.Domains(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	domain := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("domain")))
	if domain != "" && d.Enabled {
		if !s.cfg.Store.IsLocalDomain(domain) {
			d.Err = p.L.T("err.notfound")
		} else {
			d.Domain = domain
			ctx, cancel := context.WithTimeout(r.Context(), dnsCheckTimeout)
			defer cancel()
			d.Results, err = s.cfg.DNS(ctx, domain)
			if err != nil {
				d.Err = p.L.Tf("err.generic", err.Error())
			}
			for _, res := range d.Results {
				if res.Status != dnssetup.OK && res.Status != dnssetup.Skipped {
					d.Bad++
				}
			}
		}
	}
	s.render(w, r, http.StatusOK, dnsPage(d))
}
