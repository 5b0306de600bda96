package templates

// The strings of remote images, attachment previews and phone notifications
// (issue 14 item 5, issue 15 item 6), merged into en and ja at start.
func init() {
	for k, v := range webcontentEN {
		en[k] = v
	}
	for k, v := range webcontentJA {
		ja[k] = v
	}
}

var webcontentEN = map[string]string{
	"img.link":         "Remote images",
	"img.title":        "Remote images",
	"img.policy":       "Load the remote images of a mail",
	"img.ask":          "When I ask, or from the senders below",
	"img.always":       "Always",
	"img.never":        "Only when I ask (ignore the senders below)",
	"img.hint":         "Remote images can tell the sender that you read the mail. They always load through this server, so the sender never sees your address or browser.",
	"img.senders":      "Always show images from",
	"img.none":         "No senders yet. Use “Always show images from …” on a message.",
	"img.remove":       "Remove",
	"img.save":         "Save",
	"img.alwaysfor":    "Always show images from %s",
	"img.shownfrom":    "Images are shown because you allowed %s.",
	"img.stop":         "Stop showing automatically",
	"img.toomany":      "Too many senders with images allowed; remove some in Settings.",
	"prev.show":        "Preview",
	"prev.of":          "Preview of %s",
	"prev.close":       "Close preview",
	"prev.unsupported": "This attachment cannot be previewed; download it instead.",
	"pwa.name":         "yubin mail",
	"push.link":        "Notifications",
	"push.title":       "Notifications",
	"push.hint":        "Get a notification of new mail on this phone or computer while the webmail is closed. Each device is asked once.",
	"push.on":          "Turn on notifications on this device",
	"push.unsupported": "This browser cannot show notifications from the webmail. On an iPhone, add the webmail to the Home Screen first.",
	"push.denied":      "Notifications are blocked for this site in the browser's settings.",
	"push.failed":      "Notifications could not be turned on. Try again later.",
	"push.devices":     "Devices that get notifications",
	"push.nodevices":   "None yet.",
	"push.since":       "since %s",
	"push.full":        "Show the sender and subject in notifications",
	"push.toomany":     "Too many devices get notifications; remove one first.",
	"push.new":         "New mail",
	"push.many":        "%d new messages",
	"push.from":        "New mail from %s",
}

var webcontentJA = map[string]string{
	"img.link":         "外部画像",
	"img.title":        "外部画像",
	"img.policy":       "メールの外部画像の読み込み",
	"img.ask":          "指示したとき、または下の差出人から",
	"img.always":       "常に読み込む",
	"img.never":        "指示したときだけ（下の差出人も含む）",
	"img.hint":         "外部画像は、メールを読んだことを差出人に知らせることがあります。画像は常にこのサーバーを経由して読み込まれるため、差出人にあなたのアドレスやブラウザーは伝わりません。",
	"img.senders":      "常に画像を表示する差出人",
	"img.none":         "まだありません。メールの「…からの画像を常に表示」で追加できます。",
	"img.remove":       "削除",
	"img.save":         "保存",
	"img.alwaysfor":    "%s からの画像を常に表示",
	"img.shownfrom":    "%s からの画像を許可しているため、画像を表示しています。",
	"img.stop":         "自動で表示しない",
	"img.toomany":      "画像を許可した差出人が多すぎます。設定で削除してください。",
	"prev.show":        "プレビュー",
	"prev.of":          "%s のプレビュー",
	"prev.close":       "プレビューを閉じる",
	"prev.unsupported": "この添付ファイルはプレビューできません。ダウンロードしてください。",
	"pwa.name":         "郵便 メール",
	"push.link":        "通知",
	"push.title":       "通知",
	"push.hint":        "ウェブメールを閉じているあいだも、このスマートフォンやパソコンに新着メールを通知します。端末ごとに一度だけ確認します。",
	"push.on":          "この端末で通知を受け取る",
	"push.unsupported": "このブラウザーはウェブメールの通知を表示できません。iPhone では先にウェブメールをホーム画面に追加してください。",
	"push.denied":      "ブラウザーの設定で、このサイトの通知がブロックされています。",
	"push.failed":      "通知を有効にできませんでした。しばらくしてからもう一度お試しください。",
	"push.devices":     "通知を受け取る端末",
	"push.nodevices":   "まだありません。",
	"push.since":       "%s から",
	"push.full":        "通知に差出人と件名を表示する",
	"push.toomany":     "通知を受け取る端末が多すぎます。先にどれかを削除してください。",
	"push.new":         "新着メール",
	"push.many":        "新着メール %d 件",
	"push.from":        "%s さんから新着メール",
}
