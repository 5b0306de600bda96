package templates

// The settings page's catalog entries, merged into en and ja at start.
var enSettings = map[string]string{
	"set.link":            "Settings",
	"set.title":           "Settings",
	"set.more":            "More settings",
	"set.saved":           "Settings saved.",
	"set.you":             "You",
	"set.name":            "Your name",
	"set.name.hint":       "Shown to the people you write to, as the name beside %s.",
	"set.signature":       "Signature",
	"set.sigplace":        "In replies, put the signature",
	"set.sigbelow":        "below the quoted text",
	"set.sigabove":        "above the quoted text",
	"set.identities":      "Send as",
	"set.identities.hint": "Other addresses you may send from (aliases), each with its own name, reply-to and signature. Leave the address empty to add none.",
	"set.senders":         "The server lets you send as:",
	"set.id.address":      "Address",
	"set.id.name":         "Name",
	"set.id.replyto":      "Reply-to (optional)",
	"set.id.signature":    "Signature for this address",
	"set.id.remove":       "Remove this address",
	"set.id.notyours":     "The server does not let you send as %s.",
	"set.id.bad":          "%s is not an address like name@example.com.",
	"set.id.toomany":      "At most 20 addresses.",
	"set.display":         "Display",
	"set.lang":            "Language",
	"set.lang.browser":    "The browser's language",
	"set.tz":              "Time zone",
	"set.tz.server":       "This browser's time zone",
	"set.tz.bad":          "%s is not a time zone this server knows (for example Asia/Tokyo).",
	"set.perpage":         "Messages per page",
	"set.sending":         "Sending",
	"set.undo":            "Undo send: seconds to wait before sending",
	"set.undo.hint":       "0 sends at once; at most 30.",
	"set.undo.bad":        "The undo delay is a number of seconds from 0 to 30.",
	"set.save":            "Save settings",
}

var jaSettings = map[string]string{
	"set.link":            "設定",
	"set.title":           "設定",
	"set.more":            "その他の設定",
	"set.saved":           "設定を保存しました。",
	"set.you":             "差出人",
	"set.name":            "名前",
	"set.name.hint":       "送信先の人に %s と並んで表示される名前です。",
	"set.signature":       "署名",
	"set.sigplace":        "返信での署名の位置",
	"set.sigbelow":        "引用の下",
	"set.sigabove":        "引用の上",
	"set.identities":      "別のアドレスから送信",
	"set.identities.hint": "送信に使えるほかのアドレス（エイリアス）。アドレスごとに名前・返信先・署名を設定できます。追加しない場合はアドレスを空のままにしてください。",
	"set.senders":         "サーバーで送信が許可されているアドレス:",
	"set.id.address":      "アドレス",
	"set.id.name":         "名前",
	"set.id.replyto":      "返信先（任意）",
	"set.id.signature":    "このアドレスの署名",
	"set.id.remove":       "このアドレスを削除",
	"set.id.notyours":     "%s からの送信はサーバーで許可されていません。",
	"set.id.bad":          "%s は name@example.com の形のアドレスではありません。",
	"set.id.toomany":      "アドレスは 20 個までです。",
	"set.display":         "表示",
	"set.lang":            "言語",
	"set.lang.browser":    "ブラウザーの言語",
	"set.tz":              "タイムゾーン",
	"set.tz.server":       "このブラウザのタイムゾーン",
	"set.tz.bad":          "%s はこのサーバーが知らないタイムゾーンです（例: Asia/Tokyo）。",
	"set.perpage":         "1 ページのメッセージ数",
	"set.sending":         "送信",
	"set.undo":            "送信取り消し: 送信までの待ち時間（秒）",
	"set.undo.hint":       "0 ですぐに送信します。最大 30 秒です。",
	"set.undo.bad":        "送信取り消しの待ち時間は 0 から 30 までの秒数です。",
	"set.save":            "設定を保存",
}

func init() {
	for k, v := range enSettings {
		en[k] = v
	}
	for k, v := range jaSettings {
		ja[k] = v
	}
}
