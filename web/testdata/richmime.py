"""Reads one message on stdin with Python's email package (an independent MIME
reader) and prints what a mail program would find: the tree of media types, the
plain text, whether every cid: of the HTML names a part of its multipart/related,
and the bold text of the HTML."""
import email
import email.policy
import re
import sys

msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)


def tree(part, depth=0):
    print("tree " + "  " * depth + part.get_content_type())
    if part.is_multipart():
        for p in part.iter_parts():
            tree(p, depth + 1)


tree(msg)
print("plain " + repr(msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")))
html = msg.get_body(preferencelist=("html",))
related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
ids = {p["Content-ID"].strip("<>"): p for p in related.iter_parts() if p["Content-ID"]}
for cid in re.findall(r'src="cid:([^"]+)"', html.get_content()):
    part = ids.get(cid)
    print("cid %s -> %s %d bytes" % (cid, part.get_content_type() if part else "MISSING", len(part.get_content()) if part else 0))
print("bold " + " ".join(re.findall(r"<b>(.*?)</b>", html.get_content())))
