#!/usr/bin/env python3
"""An independent CardDAV client: raw WebDAV requests with Python's http.client and
xml.etree only, the way DAVx5 or iOS talk to a server. Usage: rawclient.py URL USER
PASSWORD. Prints one line per step; exits non-zero on the first surprise."""
import base64
import http.client
import sys
import urllib.parse
import xml.etree.ElementTree as ET

base, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlsplit(base)
AUTH = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:carddav"}


def req(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    h = {"Authorization": AUTH}
    h.update(headers or {})
    conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def check(cond, what):
    if not cond:
        print("FAIL", what)
        sys.exit(1)


# RFC 6764 section 5: the well-known URI redirects to the context path.
st, hd, _ = req("PROPFIND", "/.well-known/carddav", "", {"Depth": "0"})
check(st in (301, 303, 307, 308), f"well-known status {st}")
ctx = urllib.parse.urlsplit(hd["location"]).path
PROP_PRINCIPAL = '<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>'
st, _, data = req("PROPFIND", ctx, PROP_PRINCIPAL, {"Depth": "0", "Content-Type": "application/xml"})
check(st == 207, f"context PROPFIND {st}")
principal = ET.fromstring(data).find(".//d:current-user-principal/d:href", NS).text
print("principal", urllib.parse.unquote(principal))

PROP_HOME = '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><c:addressbook-home-set/></d:prop></d:propfind>'
st, _, data = req("PROPFIND", principal, PROP_HOME, {"Depth": "0", "Content-Type": "application/xml"})
check(st == 207, f"principal PROPFIND {st}")
home = ET.fromstring(data).find(".//c:addressbook-home-set/d:href", NS).text

PROP_BOOKS = '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:displayname/></d:prop></d:propfind>'
st, _, data = req("PROPFIND", home, PROP_BOOKS, {"Depth": "1", "Content-Type": "application/xml"})
check(st == 207, f"home PROPFIND {st}")
books = {}
for resp in ET.fromstring(data).findall("d:response", NS):
    if resp.find(".//d:resourcetype/c:addressbook", NS) is not None:
        books[resp.find(".//d:displayname", NS).text] = resp.find("d:href", NS).text
print("books", sorted(books))
book = books["Contacts"]

card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:py-1\r\nFN:山田 太郎\r\nN:山田;太郎;;;\r\n"
        "X-PHONETIC-LAST-NAME:やまだ\r\nX-PHONETIC-FIRST-NAME:たろう\r\n"
        "EMAIL;TYPE=INTERNET:taro@example.test\r\nEND:VCARD\r\n")
href = book + "py-1.vcf"
st, hd, _ = req("PUT", href, card, {"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"})
check(st in (201, 204), f"create PUT {st}")
etag = hd.get("etag")
check(etag, "no ETag on create")
print("created", urllib.parse.unquote(href))
# Create-only again must fail: If-None-Match: * on an existing resource.
st, _, _ = req("PUT", href, card, {"Content-Type": "text/vcard", "If-None-Match": "*"})
check(st == 412, f"second create-only PUT {st}")

PROP_ETAGS = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
st, _, data = req("PROPFIND", book, PROP_ETAGS, {"Depth": "1", "Content-Type": "application/xml"})
listed = [r.find("d:href", NS).text for r in ET.fromstring(data).findall("d:response", NS)]
check(any(h.endswith("py-1.vcf") for h in listed), f"card not listed: {listed}")
print("listed", len([h for h in listed if h.endswith(".vcf")]))

MULTIGET = ('<c:addressbook-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
            '<d:prop><d:getetag/><c:address-data/></d:prop><d:href>%s</d:href></c:addressbook-multiget>') % href
st, _, data = req("REPORT", book, MULTIGET, {"Depth": "1", "Content-Type": "application/xml"})
check(st == 207, f"multiget {st}")
got = ET.fromstring(data).find(".//c:address-data", NS).text
check("taro@example.test" in got and "やまだ" in got, "multiget data: " + got)
print("multiget ok")

QUERY = ('<c:addressbook-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav">'
         '<d:prop><d:getetag/></d:prop><c:filter><c:prop-filter name="FN">'
         '<c:text-match collation="i;unicode-casemap" match-type="contains">山田</c:text-match>'
         '</c:prop-filter></c:filter></c:addressbook-query>')
st, _, data = req("REPORT", book, QUERY, {"Depth": "1", "Content-Type": "application/xml"})
check(st == 207 and len(ET.fromstring(data).findall("d:response", NS)) == 1, f"query {st} {data!r}")
print("query ok")

# Update with the ETag we hold; a stale ETag afterwards is refused.
card2 = card.replace("taro@example.test", "taro.yamada@example.test")
st, hd, _ = req("PUT", href, card2, {"Content-Type": "text/vcard", "If-Match": etag})
check(st in (201, 204), f"update PUT {st}")
st, _, _ = req("PUT", href, card, {"Content-Type": "text/vcard", "If-Match": etag})
check(st == 412, f"stale If-Match PUT {st}")
st, _, data = req("GET", href)
check(st == 200 and b"taro.yamada@example.test" in data, f"GET after update {st}")
print("updated")

st, _, _ = req("DELETE", href)
check(st in (200, 204), f"DELETE {st}")
st, _, _ = req("GET", href)
check(st == 404, f"GET after DELETE {st}")
print("deleted")
