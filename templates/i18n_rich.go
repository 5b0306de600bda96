package templates

// The catalog of the rich-text editor (issue 15 item 5): its toolbar, the mode
// switch and its setting; merged into en and ja at start (i18n_test checks both
// have the same keys).
func init() {
	for k, v := range map[string]string{
		"rich.mode":         "Rich text",
		"rich.toolbar":      "Formatting",
		"rich.bold":         "Bold",
		"rich.italic":       "Italic",
		"rich.ul":           "Bulleted list",
		"rich.ol":           "Numbered list",
		"rich.link":         "Link",
		"rich.link.ask":     "Link address (https://…, mailto:…):",
		"rich.link.bad":     "Only http, https and mailto links can be sent.",
		"rich.unlink":       "Remove link",
		"rich.image":        "Pasted image",
		"set.compose":       "Compose in",
		"set.compose.plain": "Plain text",
		"set.compose.rich":  "Rich text (bold, italic, lists, links, images)",
	} {
		en[k] = v
	}
	for k, v := range map[string]string{
		"rich.mode":         "リッチテキスト",
		"rich.toolbar":      "書式",
		"rich.bold":         "太字",
		"rich.italic":       "斜体",
		"rich.ul":           "箇条書き",
		"rich.ol":           "番号付きリスト",
		"rich.link":         "リンク",
		"rich.link.ask":     "リンク先のアドレス(https://…、mailto:…):",
		"rich.link.bad":     "送信できるリンクは http、https、mailto だけです。",
		"rich.unlink":       "リンクを解除",
		"rich.image":        "貼り付けた画像",
		"set.compose":       "メールの作成形式",
		"set.compose.plain": "テキスト",
		"set.compose.rich":  "リッチテキスト(太字・斜体・リスト・リンク・画像)",
	} {
		ja[k] = v
	}
}
