package admin

import (
	"fmt"

	"github.com/yubinmail/yubin/internal/acceptlang"
)

// lang is the page's language, "en" or "ja", from the browser's Accept-Language.
type lang string

// pickLang is the page's language from the browser's Accept-Language, as the
// webmail picks it (internal/acceptlang).
func pickLang(accept string) lang { return lang(acceptlang.Pick(accept)) }

// T is the text of key in l; the key itself when the catalog lacks it (a test
// checks that every key has both languages).
func (l lang) T(key string) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	if l == "ja" {
		return m[1]
	}
	return m[0]
}

// Tf is T with fmt verbs filled in.
func (l lang) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// catalog holds every string of the pages: English, Japanese.
var catalog = map[string][2]string{
	"title":          {"yubin administration", "yubin 管理"},
	"nav.overview":   {"Overview", "概要"},
	"nav.users":      {"Users", "ユーザー"},
	"nav.aliases":    {"Aliases", "エイリアス"},
	"nav.queue":      {"Queue", "送信キュー"},
	"nav.dns":        {"DNS", "DNS"},
	"domains":        {"Domains", "ドメイン"},
	"domain":         {"Domain", "ドメイン"},
	"domain.add":     {"Add domain", "ドメインを追加"},
	"domain.del":     {"Remove", "削除"},
	"domain.none":    {"No local domains yet.", "ローカルドメインはまだありません。"},
	"domain.added":   {"Domain %s added.", "ドメイン %s を追加しました。"},
	"domain.deleted": {"Domain %s removed.", "ドメイン %s を削除しました。"},
	"dns.check":      {"Check DNS", "DNS を確認"},
	"dns.title":      {"DNS records of %s", "%s の DNS レコード"},
	"dns.intro": {"What the resolver answers now for each record the domain needs (as yubin dns check).",
		"ドメインに必要な各レコードについて、いまリゾルバーが返す内容です（yubin dns check と同じ）。"},
	"dns.pick":    {"Pick a domain to check its records.", "レコードを確認するドメインを選んでください。"},
	"dns.status":  {"Status", "状態"},
	"dns.record":  {"Record", "レコード"},
	"dns.has":     {"DNS has", "DNS の内容"},
	"dns.publish": {"Publish", "公開するレコード"},
	"dns.summary": {"%d of %d records need attention.", "%[2]d 件中 %[1]d 件のレコードに対応が必要です。"},
	"dns.allok":   {"All %d records are published.", "%d 件のレコードがすべて公開されています。"},
	"dns.off":     {"DNS checks are not available on this server.", "このサーバーでは DNS を確認できません。"},

	"users":           {"Users", "ユーザー"},
	"user.address":    {"Address", "アドレス"},
	"user.name":       {"Name", "名前"},
	"user.password":   {"Password", "パスワード"},
	"user.pwhint":     {"empty: make one", "空欄なら自動生成"},
	"user.add":        {"Add user", "ユーザーを追加"},
	"user.source":     {"Source", "種類"},
	"user.local":      {"local", "ローカル"},
	"user.ldap":       {"directory", "ディレクトリ"},
	"user.usage":      {"Usage / quota", "使用量 / 上限"},
	"user.status":     {"Status", "状態"},
	"user.active":     {"active", "有効"},
	"user.disabled":   {"disabled", "無効"},
	"user.actions":    {"Actions", "操作"},
	"user.reset":      {"Reset password", "パスワードを再設定"},
	"user.quota":      {"Set quota", "上限を設定"},
	"user.quotahint":  {"2GiB, 500MB, unlimited, default", "2GiB、500MB、unlimited、default"},
	"user.disable":    {"Disable", "無効にする"},
	"user.enable":     {"Enable", "有効にする"},
	"user.delete":     {"Delete", "削除"},
	"user.none":       {"No users yet.", "ユーザーはまだいません。"},
	"user.added":      {"User %s added.", "ユーザー %s を追加しました。"},
	"user.newpw":      {"The password of %s is now: %s (shown once)", "%s のパスワードは %s です（一度だけ表示）"},
	"user.pwchanged":  {"Password of %s changed; their sessions end.", "%s のパスワードを変更しました。ログイン中のセッションは終了します。"},
	"user.quotaset":   {"Quota of %s: %s.", "%s の上限: %s"},
	"user.disabledok": {"%s is disabled: no more logins, open sessions end; mail is still delivered.", "%s を無効にしました。ログインできなくなり、セッションは終了します（メールは引き続き配送されます）。"},
	"user.enabledok":  {"%s is enabled again.", "%s を再び有効にしました。"},
	"user.deleted":    {"User %s and their mail deleted.", "ユーザー %s とそのメールを削除しました。"},
	"user.ldapnopw":   {"%s is a directory (LDAP) user: change the password in the directory.", "%s はディレクトリ（LDAP）のユーザーです。パスワードはディレクトリで変更してください。"},
	"user.badquota":   {"%q is not a size like 2GiB, 500MB, unlimited or default.", "%q は 2GiB、500MB、unlimited、default のような大きさではありません。"},
	"unlimited":       {"unlimited", "無制限"},

	"aliases":       {"Aliases", "エイリアス"},
	"alias.address": {"Alias", "エイリアス"},
	"alias.targets": {"Delivers to", "配送先"},
	"alias.thint":   {"addresses, separated by commas", "アドレス（カンマ区切り）"},
	"alias.add":     {"Add alias", "エイリアスを追加"},
	"alias.del":     {"Remove", "削除"},
	"alias.none":    {"No aliases yet.", "エイリアスはまだありません。"},
	"alias.added":   {"Alias %s added.", "エイリアス %s を追加しました。"},
	"alias.deleted": {"Alias %s removed.", "エイリアス %s を削除しました。"},

	"queue":          {"Outbound queue", "送信キュー"},
	"queue.empty":    {"The queue is empty.", "送信キューは空です。"},
	"queue.count":    {"%d entries; the oldest waits since %s.", "%d 件。最も古いものは %s から待っています。"},
	"queue.id":       {"ID", "ID"},
	"queue.from":     {"From", "差出人"},
	"queue.rcpts":    {"Recipients", "宛先"},
	"queue.attempts": {"Attempts", "試行"},
	"queue.next":     {"Next try", "次の試行"},
	"queue.error":    {"Last error", "最後のエラー"},
	"queue.retry":    {"Retry now", "今すぐ再送"},
	"queue.delete":   {"Delete", "削除"},
	"queue.headers":  {"Headers", "ヘッダー"},
	"queue.retried":  {"Entry %d is due now.", "%d 番を今すぐ再送します。"},
	"queue.deleted":  {"Entry %d deleted; its sender is not told.", "%d 番を削除しました（差出人には通知されません）。"},
	"queue.hdrtitle": {"Headers of queue entry %d", "送信キュー %d 番のヘッダー"},
	"queue.back":     {"Back to the queue", "送信キューに戻る"},
	"queue.size":     {"Size", "サイズ"},
	"queue.created":  {"Queued", "登録日時"},

	"failures":      {"Recent delivery failures", "最近の配送失敗"},
	"failures.none": {"No delivery failed since the server started.", "サーバーの起動以来、配送の失敗はありません。"},
	"failures.note": {"Since the server started (at most 100); the log keeps every one.", "サーバー起動以降（最大 100 件）。すべてはログに残ります。"},
	"failure.when":  {"When", "日時"},
	"failure.rcpt":  {"Recipient", "宛先"},
	"failure.kind":  {"Result", "結果"},
	"failure.perm":  {"bounced", "返送"},
	"failure.temp":  {"deferred", "再試行待ち"},
	"failure.why":   {"Reply", "応答"},

	"err.notfound":  {"It no longer exists.", "すでに存在しません。"},
	"err.csrf":      {"The form has expired: reload the page and try again.", "フォームの有効期限が切れました。ページを再読み込みしてやり直してください。"},
	"err.crosssite": {"Refused: this form was posted from another site.", "拒否しました: このフォームは別のサイトから送信されました。"},
	"err.notlocal": {"The admin pages answer only on this machine: open http://127.0.0.1:PORT/admin/ there, or through an SSH tunnel.",
		"管理ページはこのサーバー上でのみ使えます。サーバーで http://127.0.0.1:PORT/admin/ を開くか、SSH トンネル経由で開いてください。"},
	"err.exists":  {"It already exists.", "すでに存在します。"},
	"err.generic": {"That did not work: %s", "処理できませんでした: %s"},
	"nullsender":  {"<> (a bounce)", "<>（エラー通知）"},
}
