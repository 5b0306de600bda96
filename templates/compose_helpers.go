package templates

// boolAttr is a data attribute's value for a flag the script reads.
func boolAttr(b bool) string {
	if b {
		return "1"
	}
	return ""
}
