package autoconfig

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Outlook's autodiscover, the "POX" (plain old XML) variant: the client POSTs its
// address in the 2006 request schema and gets the 2006a "settings" answer with the
// IMAP and SMTP servers ([MS-OXDSCLI] sections 2.2.3 and 2.2.4).
const (
	AutodiscoverPath     = "/autodiscover/autodiscover.xml"
	AutodiscoverJSONPath = "/autodiscover/autodiscover.json"

	responseNS        = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	outlookResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// MaxAutodiscoverBytes bounds a request body: a real one is a few hundred bytes,
// and the endpoint is public.
const MaxAutodiscoverBytes = 16 << 10

// autodiscoverReadTimeout bounds how long the body may take to arrive, so a client
// trickling it cannot hold a connection for the server's whole read timeout.
var autodiscoverReadTimeout = 10 * time.Second

// autodiscoverRequest is the part of the request we read. Element names are matched
// without their namespace: clients differ in how they spell it.
type autodiscoverRequest struct {
	XMLName xml.Name `xml:"Autodiscover"`
	Request struct {
		EMailAddress             string `xml:"EMailAddress"`
		AcceptableResponseSchema string `xml:"AcceptableResponseSchema"`
	} `xml:"Request"`
}

type autodiscoverResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response any
}

type outlookResponse struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
	Account adAccount
}

type adAccount struct {
	AccountType string
	Action      string
	Protocol    []adProtocol
}

type adProtocol struct {
	Type           string
	Server         string
	Port           int
	LoginName      string
	DomainRequired string
	SPA            string
	SSL            string
	Encryption     string // overrides SSL: "SSL" implicit TLS, "TLS" STARTTLS
	AuthRequired   string
}

// errorResponse is the answer to a request for a schema we do not serve (Exchange
// ActiveSync's mobilesync, for instance): error 601, "provider not available".
type errorResponse struct {
	XMLName xml.Name `xml:"Response"`
	Error   struct {
		Time      string `xml:"Time,attr"`
		ErrorCode int
		Message   string
	}
}

// autodiscoverSettings is the 2006a answer for addr: the preferred IMAP (or POP3
// when IMAP is off) and SMTP submission services.
func (s Settings) autodiscoverSettings(addr string) outlookResponse {
	acct := adAccount{AccountType: "email", Action: "settings"}
	proto := func(kind string, sv service) adProtocol {
		p := adProtocol{Type: kind, Server: s.Hostname, Port: sv.Port, LoginName: addr,
			DomainRequired: "off", SPA: "off", SSL: "on", Encryption: "SSL", AuthRequired: "on"}
		if sv.Socket == startTLS {
			p.Encryption = "TLS"
		}
		return p
	}
	in := s.incoming()
	if sv, ok := first(in, "imap"); ok {
		acct.Protocol = append(acct.Protocol, proto("IMAP", sv))
	} else if sv, ok := first(in, "pop3"); ok {
		acct.Protocol = append(acct.Protocol, proto("POP3", sv))
	}
	if sv, ok := first(s.outgoing(), "smtp"); ok {
		acct.Protocol = append(acct.Protocol, proto("SMTP", sv))
	}
	return outlookResponse{Account: acct}
}

// Autodiscover answers the POX request. Any address of a local domain gets the
// settings, whether or not it has an account: the answer must not tell strangers
// which addresses exist.
func (s Settings) Autodiscover(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxAutodiscoverBytes)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(autodiscoverReadTimeout))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "request body unreadable", http.StatusBadRequest)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	var req autodiscoverRequest
	if err := xml.Unmarshal(body, &req); err != nil || req.Request.EMailAddress == "" {
		http.Error(w, "not an autodiscover request", http.StatusBadRequest)
		return
	}
	if schema := strings.TrimSpace(req.Request.AcceptableResponseSchema); schema != "" && schema != outlookResponseNS {
		var e errorResponse
		e.Error.Time = time.Now().UTC().Format("15:04:05.0000000")
		e.Error.ErrorCode = 601
		e.Error.Message = "Provider is not available for the requested schema"
		writeXML(w, autodiscoverResponse{Response: e})
		return
	}
	a, ok := s.localAddress(req.Request.EMailAddress)
	if !ok || s.Hostname == "" {
		http.NotFound(w, r)
		return
	}
	writeXML(w, autodiscoverResponse{Response: s.autodiscoverSettings(a.String())})
}

// AutodiscoverJSON is the v2 endpoint newer Outlooks ask first:
// GET /autodiscover/autodiscover.json?Email=ADDR&Protocol=AutodiscoverV1, or with the
// address in the path (/autodiscover/autodiscover.json/v1.0/ADDR?Protocol=…). The
// answer is the URL of the POX endpoint; other protocols (EWS, ActiveSync) are not
// served.
func (s Settings) AutodiscoverJSON(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email := q.Get("Email")
	if email == "" {
		rest := strings.TrimPrefix(r.URL.Path, AutodiscoverJSONPath+"/")
		if v, addr, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(v, "v1.") {
			email = addr
		}
	}
	protocol := q.Get("Protocol")
	if !strings.EqualFold(protocol, "AutodiscoverV1") {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"ErrorCode":    "InvalidProtocol",
			"ErrorMessage": "The given protocol value is invalid. Supported values are 'AutodiscoverV1'.",
		})
		return
	}
	if _, ok := s.localAddress(email); !ok || s.Hostname == "" {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"Protocol": "AutodiscoverV1",
		"Url":      "https://" + s.Hostname + AutodiscoverPath,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(out)
}
