package templates

import (
	"strconv"
	"strings"
)

// The strings of organizing, live updates, shortcuts and the server's refusals in
// words (issue 14 items 6-9), beside the main catalog so the screens can grow apart.
func init() {
	for _, c := range []map[string]string{wordsEN, organizeEN} {
		for k, v := range c {
			en[k] = v
		}
	}
	for _, c := range []map[string]string{wordsJA, organizeJA} {
		for k, v := range c {
			ja[k] = v
		}
	}
}

var wordsEN = map[string]string{
	"err.exists":      "A folder with that name already exists. Choose another name.",
	"err.haschildren": "This folder has folders inside it. Delete or move those first.",
	"err.nofolder":    "That folder does not exist (any more). Reload the page to see the current folders.",
	"err.noperm":      "The mail server does not allow that for your account.",
	"err.cannot":      "The mail server cannot do that; a folder name may not contain some characters.",
	"err.limit":       "That is more than the mail server allows at once. Try with fewer messages.",
	"err.inuse":       "The mail server is busy with this folder. Try again in a moment.",
	"err.unavailable": "The mail server is not available right now. Try again in a moment.",
	"err.refused":     "The mail server refused that. Reload the page and try again.",
	"err.sendauth":    "The mail server did not accept your sign-in for sending. Sign out and in again.",
	"err.toolarge":    "The message is too large for the mail server. Remove an attachment and try again.",
	"err.rcpttemp":    "The mail server cannot take mail for %s right now. Try again later; your message is still here.",
	"err.nouser":      "There is no such address: %s. Check the spelling.",
	"err.badrcpt":     "The address %s cannot receive mail. Check it.",
	"err.rcptrefused": "The mail server refused to send to %s.",
	"err.sender":      "The mail server does not let you send from this address.",
	"err.tempfail":    "The mail server could not take the message right now. Try again in a few minutes; your message is still here.",
	"err.rejected":    "The mail server refused the message. It was not sent.",
	"err.gone":        "That message is no longer here: it was moved or deleted.",
}

var wordsJA = map[string]string{
	"err.exists":      "同じ名前のフォルダがすでにあります。別の名前にしてください。",
	"err.haschildren": "このフォルダの中にフォルダがあります。先にそちらを削除するか移動してください。",
	"err.nofolder":    "そのフォルダはありません（削除された可能性があります）。ページを再読み込みしてください。",
	"err.noperm":      "このアカウントではその操作は許可されていません。",
	"err.cannot":      "メールサーバーでその操作ができません。フォルダ名に使えない文字があるかもしれません。",
	"err.limit":       "一度に扱える量を超えています。メッセージを減らしてお試しください。",
	"err.inuse":       "このフォルダはほかの処理で使用中です。少し待ってからお試しください。",
	"err.unavailable": "メールサーバーに接続できません。少し待ってからお試しください。",
	"err.refused":     "メールサーバーに拒否されました。ページを再読み込みしてからお試しください。",
	"err.sendauth":    "送信時のサインインがメールサーバーに受け付けられませんでした。サインインし直してください。",
	"err.toolarge":    "メッセージが大きすぎてメールサーバーが受け付けません。添付ファイルを減らしてください。",
	"err.rcpttemp":    "%s 宛てのメールを今は受け付けられません。しばらくしてからお試しください（メッセージは残っています）。",
	"err.nouser":      "%s というアドレスはありません。綴りを確かめてください。",
	"err.badrcpt":     "%s はメールを受け取れないアドレスです。確かめてください。",
	"err.rcptrefused": "%s への送信はメールサーバーに拒否されました。",
	"err.sender":      "このアドレスを差出人として送信することは許可されていません。",
	"err.tempfail":    "メールサーバーが今はメッセージを受け付けられません。数分後にお試しください（メッセージは残っています）。",
	"err.rejected":    "メッセージはメールサーバーに拒否され、送信されませんでした。",
	"err.gone":        "そのメッセージはもうありません（移動または削除されました）。",
}

// Has reports whether the catalog has key (a key carried in a URL is shown only
// when it is one of ours).
func (l Lang) Has(key string) bool {
	_, ok := en[key]
	return ok
}

// Messages is a count of messages in words: "1 message", "3 messages", "3件".
func (l Lang) Messages(n int) string {
	if l == "ja" {
		return strconv.Itoa(n) + "件のメッセージ"
	}
	if n == 1 {
		return "1 message"
	}
	return group(n) + " messages"
}

// group writes 100000 as 100,000.
func group(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

var organizeEN = map[string]string{
	"st.moved":        "%s moved to %s.",
	"st.purged":       "%s deleted for good.",
	"st.read":         "%s marked as read.",
	"st.unread":       "%s marked as unread.",
	"st.flagged":      "%s flagged.",
	"st.unflagged":    "Flag removed from %s.",
	"st.emptied":      "%s deleted for good from %s.",
	"st.undone":       "Undone: %s put back.",
	"st.nochange":     "Nothing needed changing.",
	"st.undone0":      "Nothing to undo: those messages were moved or deleted since.",
	"st.none":         "Nothing is selected. Tick the messages first, or use “Select all”.",
	"st.nodest":       "Choose a folder to move to first.",
	"st.fdeleted":     "Folder %s deleted; %s moved to Trash.",
	"st.fcreated":     "Folder %s created.",
	"st.frenamed":     "Folder renamed to %s.",
	"undo":            "Undo",
	"undo.close":      "Dismiss",
	"act.readall":     "Mark all read",
	"act.empty":       "Empty %s",
	"act.empty.ask":   "Delete all %s in %s for good? This cannot be undone.",
	"sel.all":         "Select all %s in this folder",
	"sel.allon":       "All %s in this folder are selected.",
	"sel.clear":       "Clear selection",
	"fld.delete.ask":  "Delete the folder %s? Its %s will be moved to Trash.",
	"fld.delete.ask0": "Delete the empty folder %s?",
	"fld.toggle":      "Show or hide the folders inside %s",
	"skip":            "Skip to the messages",
	"skip.main":       "Skip to the content",
	"live.notify":     "New mail (%d unread)",
	"live.notifyon":   "Notify me of new mail",
	"live.notifyno":   "Notifications are blocked in this browser's settings.",
	"keys.title":      "Keyboard shortcuts",
	"keys.close":      "Close",
	"keys.j":          "Next message in the list",
	"keys.k":          "Previous message in the list",
	"keys.o":          "Open the message",
	"keys.u":          "Back to the list",
	"keys.np":         "Next / previous message in the conversation",
	"keys.slash":      "Search",
	"keys.c":          "Write a message",
	"keys.x":          "Select the message",
	"keys.s":          "Flag or unflag",
	"keys.e":          "Archive",
	"keys.del":        "Delete",
	"keys.r":          "Reply",
	"keys.a":          "Reply to all",
	"keys.f":          "Forward",
	"keys.I":          "Mark as read",
	"keys.U":          "Mark as unread",
	"keys.gi":         "Go to the inbox",
	"keys.gs":         "Go to Sent",
	"keys.gd":         "Go to Drafts",
	"keys.q":          "Show this help",
}

var organizeJA = map[string]string{
	"st.moved":        "%sを「%s」に移動しました。",
	"st.purged":       "%sを完全に削除しました。",
	"st.read":         "%sを既読にしました。",
	"st.unread":       "%sを未読にしました。",
	"st.flagged":      "%sにフラグを付けました。",
	"st.unflagged":    "%sのフラグを外しました。",
	"st.emptied":      "%sを「%s」から完全に削除しました。",
	"st.undone":       "元に戻しました（%s）。",
	"st.nochange":     "変更するものはありませんでした。",
	"st.undone0":      "元に戻せるものはありませんでした（その後に移動または削除されています）。",
	"st.none":         "メッセージが選択されていません。先にチェックを付けるか「すべて選択」を使ってください。",
	"st.nodest":       "先に移動先のフォルダを選んでください。",
	"st.fdeleted":     "フォルダ「%s」を削除しました。%sはゴミ箱に移動しました。",
	"st.fcreated":     "フォルダ「%s」を作成しました。",
	"st.frenamed":     "フォルダ名を「%s」に変更しました。",
	"undo":            "元に戻す",
	"undo.close":      "閉じる",
	"act.readall":     "すべて既読にする",
	"act.empty":       "%sを空にする",
	"act.empty.ask":   "%sを「%s」から完全に削除しますか？元に戻せません。",
	"sel.all":         "このフォルダの%sをすべて選択",
	"sel.allon":       "このフォルダの%sをすべて選択しています。",
	"sel.clear":       "選択を解除",
	"fld.delete.ask":  "フォルダ「%s」を削除しますか？中の%sはゴミ箱に移動します。",
	"fld.delete.ask0": "空のフォルダ「%s」を削除しますか？",
	"fld.toggle":      "「%s」の中のフォルダを表示／非表示",
	"skip":            "メッセージ一覧へ移動",
	"skip.main":       "本文へ移動",
	"live.notify":     "新着メール（未読 %d 件）",
	"live.notifyon":   "新着メールを通知する",
	"live.notifyno":   "このブラウザの設定で通知がブロックされています。",
	"keys.title":      "キーボードショートカット",
	"keys.close":      "閉じる",
	"keys.j":          "一覧の次のメッセージ",
	"keys.k":          "一覧の前のメッセージ",
	"keys.o":          "メッセージを開く",
	"keys.u":          "一覧に戻る",
	"keys.np":         "スレッド内の次／前のメッセージ",
	"keys.slash":      "検索",
	"keys.c":          "メッセージを作成",
	"keys.x":          "メッセージを選択",
	"keys.s":          "フラグを付ける／外す",
	"keys.e":          "アーカイブ",
	"keys.del":        "削除",
	"keys.r":          "返信",
	"keys.a":          "全員に返信",
	"keys.f":          "転送",
	"keys.I":          "既読にする",
	"keys.U":          "未読にする",
	"keys.gi":         "受信トレイへ",
	"keys.gs":         "送信済みへ",
	"keys.gd":         "下書きへ",
	"keys.q":          "このヘルプを表示",
}

// folderDeleteAsk is the question before deleting a folder, naming what happens to
// its messages.
func folderDeleteAsk(l Lang, f Folder) string {
	if f.Messages == 0 {
		return l.Tf("fld.delete.ask0", f.Label)
	}
	return l.Tf("fld.delete.ask", f.Label, l.Messages(int(f.Messages)))
}

// folderPath names a folder where the tree is not shown: its full name for a
// subfolder ("Projects/2026": a bare "2026" could be anywhere), else its label.
func folderPath(f Folder) string {
	if f.Depth > 0 {
		return f.Name
	}
	return f.Label
}

// folderOption is a folder in a "Move to" list: indented under its parent (the
// list is in the folder list's order, parents first).
func folderOption(f Folder) string {
	return strings.Repeat("\u00a0\u00a0\u00a0", min(f.Depth, 6)) + f.Label
}
