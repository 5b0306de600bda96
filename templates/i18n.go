package templates

import (
	"fmt"
	"time"

	"github.com/yubinmail/yubin/internal/acceptlang"
)

// Lang is a UI language: "en" or "ja".
type Lang string

// PickLang chooses the UI language from an Accept-Language header (internal/acceptlang).
func PickLang(accept string) Lang { return Lang(acceptlang.Pick(accept)) }

// T translates a catalog key; unknown keys show as themselves so a gap is visible.
func (l Lang) T(key string) string {
	if l == "ja" {
		if s, ok := ja[key]; ok {
			return s
		}
	}
	if s, ok := en[key]; ok {
		return s
	}
	return key
}

// Tf is T with fmt.Sprintf arguments.
func (l Lang) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Date formats a list date: time today, month and day this year, else the full date.
func (l Lang) Date(t time.Time, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	switch {
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case t.Year() == now.Year():
		if l == "ja" {
			return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
		}
		return t.Format("Jan 2")
	default:
		return t.Format("2006-01-02")
	}
}

// LongDate formats a message's date in full.
func (l Lang) LongDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l == "ja" {
		return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04 -0700"))
	}
	return t.Format("Mon, 2 Jan 2006 15:04 -0700")
}

// QuoteLine is the attribution line above a quoted reply, in the UI language:
// "On Thu, Nov 26, 2026 at 13:05, Taro Yamada <yamada@example.jp> wrote:" or
// "2026年11月26日 13:05、山田太郎 さんは書きました:". The date is shown in the zone the
// sender wrote it in, as mail clients do.
func (l Lang) QuoteLine(from string, t time.Time) string {
	if t.IsZero() {
		return l.Tf("cmp.wrote.nodate", from)
	}
	var date string
	if l == "ja" {
		date = fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04"))
	} else {
		date = t.Format("Mon, Jan 2, 2006 at 15:04")
	}
	return l.Tf("cmp.wrote", date, from)
}

// Size formats a byte count compactly.
func Size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	}
}

var en = map[string]string{
	"app":                "yubin",
	"login.title":        "Sign in",
	"login.email":        "Email address",
	"login.password":     "Password",
	"login.submit":       "Sign in",
	"login.bad":          "Wrong address or password.",
	"login.throttled":    "Too many failed sign-ins for now. Please wait a few minutes and try again later.",
	"login.busy":         "The server is busy. Please try again in a moment.",
	"login.expired":      "The sign-in form has expired. Please sign in again.",
	"login.down":         "The mail server cannot be reached right now. Please try again shortly.",
	"logout":             "Sign out",
	"compose":            "Compose",
	"folders":            "Folders",
	"folders.manage":     "Manage folders",
	"setup.link":         "Set up your phone or mail app",
	"setup.title":        "Set up your phone or mail app",
	"setup.auto":         "Most mail apps (Thunderbird, Outlook, Apple Mail) set themselves up from your address and password alone. If yours asks, these are the settings:",
	"setup.protocol":     "Protocol",
	"setup.server":       "Server",
	"setup.port":         "Port",
	"setup.security":     "Security",
	"setup.user":         "User name (for every server): your full address,",
	"setup.apple":        "iPhone, iPad and Mac",
	"setup.download":     "Download the profile",
	"setup.qr":           "Or scan this code with the phone's camera, sign in, and install the profile (Settings › Profile Downloaded). It asks for your password; it contains none.",
	"ooo.link":           "Out of office",
	"ooo.title":          "Out-of-office reply",
	"ooo.intro":          "While you are away, people who write to you get this reply once every few days. It runs on the server, so it works whichever mail app you use.",
	"ooo.on":             "Send the out-of-office reply",
	"ooo.start":          "From (optional)",
	"ooo.end":            "Until, inclusive (optional)",
	"ooo.days":           "Reply to the same person at most once every (days)",
	"ooo.subject":        "Subject (empty: \"Auto:\" and their subject)",
	"ooo.message":        "Message",
	"ooo.save":           "Save",
	"ooo.saved":          "Out-of-office settings saved.",
	"ooo.unavailable":    "Out-of-office replies are not available: the webmail has no ManageSieve server to use.",
	"ooo.foreign":        "Your filter script \"yubin\" was changed with another program; saving this form replaces it.",
	"ooo.replaces":       "Turning the reply on makes the webmail's script active in place of your script \"%s\".",
	"ooo.err.days":       "Days must be between 1 and 90.",
	"ooo.err.subject":    "The subject is too long.",
	"ooo.err.message":    "The message is too long.",
	"ooo.err.nomessage":  "Write the message people will receive.",
	"ooo.err.date":       "Dates are written YYYY-MM-DD.",
	"ooo.err.order":      "The end date is before the start date.",
	"flt.link":           "Filters",
	"flt.title":          "Filters",
	"flt.intro":          "The server applies these rules to arriving mail, in order, whichever mail app you use. A rule that moves or deletes a message is the last one it meets; a missing folder is created.",
	"flt.none":           "No filters yet.",
	"flt.if":             "If",
	"flt.contains":       "contains",
	"flt.add":            "Add filter",
	"flt.delete":         "Delete",
	"flt.saved":          "Filters saved.",
	"flt.replaces":       "Saving makes the webmail's script active in place of your script \"%s\".",
	"flt.field.from":     "From",
	"flt.field.to":       "To",
	"flt.field.subject":  "Subject",
	"flt.field.list-id":  "Mailing list (List-Id)",
	"flt.err.field":      "Choose what the rule looks at.",
	"flt.err.contains":   "Write the text to look for (up to 200 bytes).",
	"flt.err.folder":     "Write the folder's name.",
	"flt.err.many":       "There are too many filters.",
	"flt.action":         "then",
	"flt.target":         "Folder, address to forward to, or reason for refusing",
	"flt.act.move":       "move to folder",
	"flt.act.copy":       "copy to folder",
	"flt.act.flag":       "flag it",
	"flt.act.forward":    "forward a copy to",
	"flt.act.discard":    "delete it at once",
	"flt.err.action":     "Choose what the rule does.",
	"flt.err.address":    "Write the address to forward to, like name@example.com.",
	"scr.link":           "Edit the Sieve script (experts)",
	"scr.title":          "Sieve script",
	"scr.intro":          "The script as the server runs it (RFC 5228). The server checks it when you save; an error shows its line and column. Editing \"yubin\" here makes the Filters and Out-of-office pages replace it when they are next saved.",
	"scr.name":           "Script name",
	"scr.active":         "active",
	"scr.activate":       "Make this the active script",
	"scr.saved":          "Script saved.",
	"flt.isoff":          "off",
	"flt.up":             "Move up",
	"flt.down":           "Move down",
	"flt.turnoff":        "Turn off",
	"flt.turnon":         "Turn on",
	"usage":              "Storage:",
	"inbox":              "Inbox",
	"drafts":             "Drafts",
	"sent":               "Sent",
	"trash":              "Trash",
	"junk":               "Junk",
	"archive":            "Archive",
	"list.empty":         "No messages here.",
	"list.range":         "%s–%s of %s",
	"list.newer":         "Newer",
	"list.older":         "Older",
	"list.selectall":     "Select all",
	"list.select":        "Select",
	"list.nosubject":     "(no subject)",
	"list.attachment":    "Has attachment",
	"list.flagged":       "Flagged",
	"list.answered":      "Answered",
	"list.unread":        "Unread",
	"search.label":       "Search mail",
	"search.placeholder": "Search in %s",
	"search.submit":      "Search",
	"search.title":       "Search: %s",
	"search.heading":     "Results for “%s”",
	"search.clear":       "Back to %s",
	"search.none":        "No messages match your search.",
	"live.new":           "New mail has arrived.",
	"live.show":          "Show",
	"cmp.wrote":          "On %s, %s wrote:",
	"cmp.wrote.nodate":   "%s wrote:",
	"fwd.header":         "---------- Forwarded message ----------",
	"fwd.from":           "From",
	"fwd.date":           "Date",
	"fwd.subject":        "Subject",
	"fwd.to":             "To",
	"act.read":           "Mark read",
	"act.unread":         "Mark unread",
	"act.flag":           "Flag",
	"act.unflag":         "Unflag",
	"act.delete":         "Delete",
	"act.deleteperm":     "Delete forever",
	"act.archive":        "Archive",
	"act.move":           "Move",
	"act.moveto":         "Move to…",
	"act.none":           "Select one or more messages first.",
	"msg.back":           "Back to list",
	"msg.reply":          "Reply",
	"msg.replyall":       "Reply all",
	"msg.forward":        "Forward",
	"msg.from":           "From",
	"msg.to":             "To",
	"msg.cc":             "Cc",
	"msg.date":           "Date",
	"msg.attachments":    "Attachments",
	"msg.unverified":     "This message could not be verified as coming from %s.",
	"msg.download":       "Download",
	"msg.showimages":     "Show remote images",
	"msg.imagesblocked":  "Remote images are blocked to protect your privacy.",
	"msg.plain":          "Plain text",
	"msg.html":           "Formatted",
	"msg.editdraft":      "Continue editing",
	"msg.htmlframe":      "Message content",
	"cmp.title":          "New message",
	"cmp.to":             "To",
	"cmp.cc":             "Cc",
	"cmp.bcc":            "Bcc",
	"cmp.subject":        "Subject",
	"cmp.body":           "Message",
	"cmp.attach":         "Attach files",
	"cmp.limit":          "Up to %s in total.",
	"cmp.keep":           "Attached",
	"cmp.send":           "Send",
	"cmp.savedraft":      "Save draft",
	"cmp.sent":           "Message sent.",
	"cmp.sentfull":       "Message sent, but your mailbox is full, so no copy was kept in Sent.",
	"cmp.saved":          "Draft saved.",
	"cmp.injection":      "A header field contains a line break, which is not allowed. Please remove it.",
	"cmp.norcpt":         "Please enter at least one recipient.",
	"cmp.toobig":         "The attachments are too large.",
	"fld.title":          "Folders",
	"fld.create":         "Create folder",
	"fld.name":           "Folder name",
	"fld.rename":         "Rename",
	"fld.delete":         "Delete",
	"fld.newname":        "New name",
	"fld.messages":       "%d messages, %d unread",
	"fld.done":           "Done.",
	"err.title":          "Something went wrong",
	"err.notfound":       "That page or message does not exist (any more).",
	"err.forbidden":      "This request was refused for your security. Please reload the page and try again.",
	"err.server":         "The mail server could not complete the request. Please try again.",
	"err.badrequest":     "The request was not understood.",
	"err.overquota":      "Your mailbox is full. Delete some mail (and empty the Trash) to make room.",
	"err.home":           "Go to the inbox",
	"done":               "Done.",
}

var ja = map[string]string{
	"app":                "郵便",
	"login.title":        "ログイン",
	"login.email":        "メールアドレス",
	"login.password":     "パスワード",
	"login.submit":       "ログイン",
	"login.bad":          "メールアドレスまたはパスワードが違います。",
	"login.throttled":    "ログインの失敗が続いたため、しばらくお待ちください。数分後にもう一度お試しください。",
	"login.busy":         "サーバーが混み合っています。少し待ってからもう一度お試しください。",
	"login.expired":      "ログインフォームの有効期限が切れました。もう一度ログインしてください。",
	"login.down":         "メールサーバーに接続できません。しばらくしてからお試しください。",
	"logout":             "ログアウト",
	"compose":            "新規作成",
	"folders":            "フォルダ",
	"folders.manage":     "フォルダの管理",
	"setup.link":         "スマートフォンやメールアプリの設定",
	"setup.title":        "スマートフォンやメールアプリの設定",
	"setup.auto":         "多くのメールアプリ（Thunderbird、Outlook、Apple メール）はメールアドレスとパスワードだけで自動設定されます。設定を求められた場合は次のとおりです。",
	"setup.protocol":     "プロトコル",
	"setup.server":       "サーバー",
	"setup.port":         "ポート",
	"setup.security":     "暗号化",
	"setup.user":         "ユーザー名（すべてのサーバー共通）：メールアドレス全体",
	"setup.apple":        "iPhone・iPad・Mac",
	"setup.download":     "構成プロファイルをダウンロード",
	"setup.qr":           "またはスマートフォンのカメラでこのコードを読み取り、サインインしてプロファイルをインストールしてください（設定 › プロファイルがダウンロード済み）。パスワードはインストール時に入力します（プロファイルには含まれません）。",
	"ooo.link":           "不在通知",
	"ooo.title":          "不在通知（自動応答）",
	"ooo.intro":          "不在の間、あなたにメールを送った相手にこのメッセージを数日に一度返信します。サーバーで動くので、どのメールアプリを使っていても有効です。",
	"ooo.on":             "不在通知を送る",
	"ooo.start":          "開始日（省略可）",
	"ooo.end":            "終了日（この日を含む・省略可）",
	"ooo.days":           "同じ相手への返信の間隔（日）",
	"ooo.subject":        "件名（空欄なら「Auto:」と相手の件名）",
	"ooo.message":        "本文",
	"ooo.save":           "保存",
	"ooo.saved":          "不在通知の設定を保存しました。",
	"ooo.unavailable":    "不在通知は利用できません（ウェブメールが使う ManageSieve サーバーがありません）。",
	"ooo.foreign":        "フィルタースクリプト「yubin」は別のプログラムで変更されています。保存すると置き換えられます。",
	"ooo.replaces":       "不在通知をオンにすると、現在有効なスクリプト「%s」の代わりにウェブメールのスクリプトが有効になります。",
	"ooo.err.days":       "日数は 1 から 90 の間で指定してください。",
	"ooo.err.subject":    "件名が長すぎます。",
	"ooo.err.message":    "本文が長すぎます。",
	"ooo.err.nomessage":  "相手に届く本文を入力してください。",
	"ooo.err.date":       "日付は YYYY-MM-DD の形式で入力してください。",
	"ooo.err.order":      "終了日が開始日より前です。",
	"flt.link":           "フィルター",
	"flt.title":          "フィルター（振り分け）",
	"flt.intro":          "届いたメールにサーバーがこのルールを上から順に適用します。どのメールアプリを使っていても有効です。移動または削除するルールに当てはまると、そこで終わります。フォルダーがなければ作成します。",
	"flt.none":           "フィルターはまだありません。",
	"flt.if":             "もし",
	"flt.contains":       "に次を含む:",
	"flt.add":            "フィルターを追加",
	"flt.delete":         "削除",
	"flt.saved":          "フィルターを保存しました。",
	"flt.replaces":       "保存すると、現在有効なスクリプト「%s」の代わりにウェブメールのスクリプトが有効になります。",
	"flt.field.from":     "差出人",
	"flt.field.to":       "宛先",
	"flt.field.subject":  "件名",
	"flt.field.list-id":  "メーリングリスト（List-Id）",
	"flt.err.field":      "ルールの対象を選んでください。",
	"flt.err.contains":   "探す文字列を入力してください（200 バイトまで）。",
	"flt.err.folder":     "フォルダー名を入力してください。",
	"flt.err.many":       "フィルターが多すぎます。",
	"flt.action":         "動作",
	"flt.target":         "フォルダー、転送先アドレス、または拒否の理由",
	"flt.act.move":       "フォルダーへ移動",
	"flt.act.copy":       "フォルダーにコピー",
	"flt.act.flag":       "フラグを付ける",
	"flt.act.forward":    "コピーを転送",
	"flt.act.discard":    "すぐに削除",
	"flt.err.action":     "ルールの動作を選んでください。",
	"flt.err.address":    "転送先のアドレスを name@example.com の形で入力してください。",
	"scr.link":           "Sieve スクリプトを直接編集（上級者向け）",
	"scr.title":          "Sieve スクリプト",
	"scr.intro":          "サーバーが実行するスクリプトです（RFC 5228）。保存時にサーバーが検査し、誤りがあれば行と桁を表示します。ここで「yubin」を編集すると、フィルターや不在通知のページで次に保存したときに置き換えられます。",
	"scr.name":           "スクリプト名",
	"scr.active":         "有効",
	"scr.activate":       "このスクリプトを有効にする",
	"scr.saved":          "スクリプトを保存しました。",
	"flt.isoff":          "無効",
	"flt.up":             "上へ",
	"flt.down":           "下へ",
	"flt.turnoff":        "無効にする",
	"flt.turnon":         "有効にする",
	"usage":              "使用量:",
	"inbox":              "受信トレイ",
	"drafts":             "下書き",
	"sent":               "送信済み",
	"trash":              "ごみ箱",
	"junk":               "迷惑メール",
	"archive":            "アーカイブ",
	"list.empty":         "メッセージはありません。",
	"list.range":         "%s–%s 件目 / 全 %s 件",
	"list.newer":         "新しい",
	"list.older":         "古い",
	"list.selectall":     "すべて選択",
	"list.select":        "選択",
	"list.nosubject":     "（件名なし）",
	"list.attachment":    "添付ファイルあり",
	"list.flagged":       "フラグ付き",
	"list.answered":      "返信済み",
	"list.unread":        "未読",
	"search.label":       "メールを検索",
	"search.placeholder": "%sを検索",
	"search.submit":      "検索",
	"search.title":       "検索: %s",
	"search.heading":     "「%s」の検索結果",
	"search.clear":       "%s に戻る",
	"search.none":        "検索に一致するメッセージはありません。",
	"live.new":           "新しいメールが届きました。",
	"live.show":          "表示",
	"cmp.wrote":          "%s、%s さんは書きました:",
	"cmp.wrote.nodate":   "%s さんは書きました:",
	"fwd.header":         "---------- 転送メッセージ ----------",
	"fwd.from":           "差出人",
	"fwd.date":           "日時",
	"fwd.subject":        "件名",
	"fwd.to":             "宛先",
	"act.read":           "既読にする",
	"act.unread":         "未読にする",
	"act.flag":           "フラグを付ける",
	"act.unflag":         "フラグを外す",
	"act.delete":         "削除",
	"act.deleteperm":     "完全に削除",
	"act.archive":        "アーカイブ",
	"act.move":           "移動",
	"act.moveto":         "移動先…",
	"act.none":           "先にメッセージを選択してください。",
	"msg.back":           "一覧に戻る",
	"msg.reply":          "返信",
	"msg.replyall":       "全員に返信",
	"msg.forward":        "転送",
	"msg.from":           "差出人",
	"msg.to":             "宛先",
	"msg.cc":             "Cc",
	"msg.date":           "日時",
	"msg.attachments":    "添付ファイル",
	"msg.unverified":     "このメッセージが %s から送られたものか確認できませんでした。",
	"msg.download":       "ダウンロード",
	"msg.showimages":     "外部画像を表示",
	"msg.imagesblocked":  "プライバシー保護のため、外部画像をブロックしています。",
	"msg.plain":          "テキスト",
	"msg.html":           "書式付き",
	"msg.editdraft":      "編集を続ける",
	"msg.htmlframe":      "メッセージ本文",
	"cmp.title":          "新規メッセージ",
	"cmp.to":             "宛先",
	"cmp.cc":             "Cc",
	"cmp.bcc":            "Bcc",
	"cmp.subject":        "件名",
	"cmp.body":           "本文",
	"cmp.attach":         "ファイルを添付",
	"cmp.limit":          "合計 %s まで。",
	"cmp.keep":           "添付済み",
	"cmp.send":           "送信",
	"cmp.savedraft":      "下書き保存",
	"cmp.sent":           "送信しました。",
	"cmp.sentfull":       "送信しました。ただし、メールボックスの容量が上限のため、送信済みフォルダに控えを保存できませんでした。",
	"cmp.saved":          "下書きを保存しました。",
	"cmp.injection":      "ヘッダーに改行が含まれています。改行を取り除いてください。",
	"cmp.norcpt":         "宛先を 1 件以上入力してください。",
	"cmp.toobig":         "添付ファイルが大きすぎます。",
	"fld.title":          "フォルダ",
	"fld.create":         "フォルダを作成",
	"fld.name":           "フォルダ名",
	"fld.rename":         "名前を変更",
	"fld.delete":         "削除",
	"fld.newname":        "新しい名前",
	"fld.messages":       "%d 件（未読 %d 件）",
	"fld.done":           "完了しました。",
	"err.title":          "エラーが発生しました",
	"err.notfound":       "ページまたはメッセージが見つかりません。",
	"err.forbidden":      "安全のため、このリクエストは拒否されました。ページを再読み込みしてからお試しください。",
	"err.server":         "メールサーバーで処理できませんでした。もう一度お試しください。",
	"err.badrequest":     "リクエストを処理できませんでした。",
	"err.overquota":      "メールボックスの容量が上限に達しています。不要なメールを削除し、ゴミ箱を空にしてください。",
	"err.home":           "受信トレイへ",
	"done":               "完了しました。",
}
