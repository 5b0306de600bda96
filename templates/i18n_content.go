package templates

// The strings of search, conversations and the faithful HTML view (issue 14 items
// 2, 4, 5), kept beside the main catalog so the screens' catalogs can grow apart.
func init() {
	for k, v := range contentEN {
		en[k] = v
	}
	for k, v := range contentJA {
		ja[k] = v
	}
}

var contentEN = map[string]string{
	"search.scope":      "Where to search",
	"search.thisfolder": "This folder",
	"search.allfolders": "All folders",
	"search.help":       "Search terms",
	"search.helptext":   `Words and "exact phrases" · from: to: cc: subject: · has:attachment filename: · is:unread is:read is:flagged · after:2026-03-01 before:2026-04-01 · in:sent in:all · -word to exclude`,
	"search.back":       "Back to results",
}

var contentJA = map[string]string{
	"search.scope":      "検索する場所",
	"search.thisfolder": "このフォルダ",
	"search.allfolders": "すべてのフォルダ",
	"search.help":       "検索の書き方",
	"search.helptext":   "語句と「完全一致のフレーズ」・from:（差出人:） to:（宛先:） cc: subject:（件名:）・has:attachment（添付ファイルあり） filename:（ファイル名:）・is:unread（未読） is:read（既読） is:flagged（フラグ付き）・after:2026-03-01（この日以降） before:2026-04-01（この日より前）・in:sent（送信済み） in:all（すべて）・-語句 で除外",
	"search.back":       "検索結果に戻る",
}
