package templates

// The strings of acting on every result of a search and of moving a message from
// the phone's "Move to…" sheet (issue 14 item 6), beside the main catalog.
func init() {
	for k, v := range gapsEN {
		en[k] = v
	}
	for k, v := range gapsJA {
		ja[k] = v
	}
}

var gapsEN = map[string]string{
	"act.readall.found": "Mark all results read",
	"sel.allfound":      "Select all %s found",
	"act.cancel":        "Cancel",
}

var gapsJA = map[string]string{
	"act.readall.found": "検索結果をすべて既読にする",
	"sel.allfound":      "検索結果の%sをすべて選択",
	"act.cancel":        "キャンセル",
}
