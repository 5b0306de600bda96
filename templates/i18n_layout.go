package templates

// The reading layout's strings (issue 14 items 1–3: reading pane, phone bars,
// conversations, next/previous), kept beside the main catalog.
func init() {
	for k, v := range layoutEN {
		en[k] = v
	}
	for k, v := range layoutJA {
		ja[k] = v
	}
}

var layoutEN = map[string]string{
	"pane.label":         "Reading pane",
	"pane.empty":         "Choose a message to read it here.",
	"nav.label":          "Message navigation",
	"nav.prev":           "Previous",
	"nav.next":           "Next",
	"conv.count":         "%d messages in this conversation",
	"conv.label":         "Earlier in this conversation",
	"conv.open":          "Open this message",
	"set.reading":        "Reading",
	"set.layout":         "Layout on a wide screen",
	"set.layout.panes":   "List and reading pane side by side",
	"set.layout.list":    "List only; a message opens on its own page",
	"set.grouping":       "Conversations",
	"set.grouping.on":    "Group messages by conversation",
	"set.grouping.off":   "One row per message",
	"set.aftermove":      "After deleting, archiving or moving a message",
	"set.aftermove.next": "Open the next message",
	"set.aftermove.list": "Go back to the list",
	"set.reading.hint":   "On a phone the list and the message are always separate screens.",
}

var layoutJA = map[string]string{
	"pane.label":         "閲覧ペイン",
	"pane.empty":         "メッセージを選ぶとここに表示されます。",
	"nav.label":          "メッセージの移動",
	"nav.prev":           "前へ",
	"nav.next":           "次へ",
	"conv.count":         "このスレッドのメッセージ %d 件",
	"conv.label":         "このスレッドの以前のメッセージ",
	"conv.open":          "このメッセージを開く",
	"set.reading":        "閲覧",
	"set.layout":         "広い画面でのレイアウト",
	"set.layout.panes":   "一覧と閲覧ペインを並べる",
	"set.layout.list":    "一覧のみ（メッセージは別のページで開く）",
	"set.grouping":       "スレッド表示",
	"set.grouping.on":    "メッセージをスレッドにまとめる",
	"set.grouping.off":   "1 行に 1 通",
	"set.aftermove":      "メッセージを削除・アーカイブ・移動したあと",
	"set.aftermove.next": "次のメッセージを開く",
	"set.aftermove.list": "一覧に戻る",
	"set.reading.hint":   "スマートフォンでは一覧とメッセージは常に別の画面です。",
}
