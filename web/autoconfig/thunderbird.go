package autoconfig

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// Thunderbird's autoconfig file. The format is Mozilla's ("clientConfig" version
// 1.1, https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat);
// the element names below are the ones its parser reads.
type clientConfig struct {
	XMLName  xml.Name      `xml:"clientConfig"`
	Version  string        `xml:"version,attr"`
	Provider emailProvider `xml:"emailProvider"`
}

type emailProvider struct {
	ID               string     `xml:"id,attr"`
	Domain           string     `xml:"domain"`
	DisplayName      string     `xml:"displayName"`
	DisplayShortName string     `xml:"displayShortName"`
	Incoming         []tbServer `xml:"incomingServer"`
	Outgoing         []tbServer `xml:"outgoingServer"`
}

type tbServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

// Placeholders Thunderbird replaces with what the user typed.
const tbEmailAddress = "%EMAILADDRESS%"

// ThunderbirdPath and ThunderbirdWellKnownPath are where Thunderbird looks: on
// autoconfig.DOMAIN, and on DOMAIN itself under .well-known.
const (
	ThunderbirdPath          = "/mail/config-v1.1.xml"
	ThunderbirdWellKnownPath = "/.well-known/autoconfig" + ThunderbirdPath
)

// thunderbirdConfig is the autoconfig file for domain.
func (s Settings) thunderbirdConfig(domain string) clientConfig {
	p := emailProvider{ID: domain, Domain: domain, DisplayName: domain, DisplayShortName: domain}
	tb := func(sv service) tbServer {
		// Usernames are full addresses; the password travels inside TLS only,
		// so the plain SASL mechanisms are the right ones (RFC 4616).
		return tbServer{Type: sv.Protocol, Hostname: s.Hostname, Port: sv.Port, SocketType: sv.Socket,
			Username: tbEmailAddress, Authentication: "password-cleartext"}
	}
	for _, sv := range s.incoming() {
		p.Incoming = append(p.Incoming, tb(sv))
	}
	for _, sv := range s.outgoing() {
		p.Outgoing = append(p.Outgoing, tb(sv))
	}
	return clientConfig{Version: "1.1", Provider: p}
}

// Thunderbird serves the autoconfig file. The domain is the one of the
// emailaddress parameter (newer Thunderbirds send it), else the request's host
// without "autoconfig.": the name Thunderbird fetched it from.
func (s Settings) Thunderbird(w http.ResponseWriter, r *http.Request) {
	var name string
	if addr := r.URL.Query().Get("emailaddress"); addr != "" {
		a, ok := s.localAddress(addr)
		if !ok {
			http.NotFound(w, r)
			return
		}
		name = string(a.Domain)
	} else {
		name = strings.TrimPrefix(strings.ToLower(requestHost(r.Host)), "autoconfig.")
	}
	d, ok := s.localDomain(name)
	if !ok || s.Hostname == "" {
		http.NotFound(w, r)
		return
	}
	writeXML(w, s.thunderbirdConfig(string(d)))
}

// writeXML sends v as an XML document. Marshalling our own structs cannot fail
// short of a programming error, which the recoverer turns into a 500.
func writeXML(w http.ResponseWriter, v any) {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Write([]byte(xml.Header))
	w.Write(out)
	w.Write([]byte("\n"))
}
