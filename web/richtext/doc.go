// Package richtext owns the webmail's simple rich text (issue 15 item 5): the
// few elements the compose editor may produce — bold, italic, bulleted and
// numbered lists, links, and the line structure, quotes and inline images
// around them — and nothing more. It sanitizes what a browser posts to exactly
// that allow-list, derives the text/plain alternative from it (lists as "- " and
// "1. ", links as "text <url>", quotes as "> "), wraps it as the HTML document
// that is sent, and finds it again in a saved draft.
//
// It must never: let an element, attribute or URL scheme outside the allow-list
// through (a crafted POST is the threat, not the editor), touch the network or
// the mailbox (the handlers fetch the parts a cid: names), or build MIME (that is
// web/compose's).
package richtext
