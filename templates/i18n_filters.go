package templates

// The Filters page's conditions on any header and on size, and its reject action,
// merged into en and ja at start.
var enFilters = map[string]string{
	"flt.field.header": "Another header (name below)",
	"flt.field.size":   "Size",
	"flt.larger":       "is larger than",
	"flt.header":       "Header name",
	"flt.header.hint":  "for another header, e.g. X-Spam-Flag",
	"flt.value":        "Text to look for (for Size: like 5MB)",
	"flt.act.reject":   "refuse it, with the reason",
	"flt.err.header":   "Write the header's name, like X-Spam-Flag (letters, digits and signs, no colon).",
	"flt.err.size":     "Write a size like 5MB or 500KB.",
	"flt.err.reason":   "Write the reason for refusing in English letters (up to 200), or leave it empty.",
}

var jaFilters = map[string]string{
	"flt.field.header": "その他のヘッダー（名前は下に）",
	"flt.field.size":   "サイズ",
	"flt.larger":       "が次より大きい:",
	"flt.header":       "ヘッダー名",
	"flt.header.hint":  "その他のヘッダーのとき。例: X-Spam-Flag",
	"flt.value":        "探す文字列（サイズなら 5MB など）",
	"flt.act.reject":   "受け取りを拒否（理由を添えて）",
	"flt.err.header":   "ヘッダー名を X-Spam-Flag のように入力してください（英数字と記号、コロンなし）。",
	"flt.err.size":     "サイズを 5MB や 500KB のように入力してください。",
	"flt.err.reason":   "拒否の理由は半角英数字で入力してください（200 文字まで）。空欄でもかまいません。",
}

func init() {
	for k, v := range enFilters {
		en[k] = v
	}
	for k, v := range jaFilters {
		ja[k] = v
	}
}
