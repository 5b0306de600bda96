package templates

// ImagesSettingsData is the remote images page: the policy and the senders whose
// images load without asking.
type ImagesSettingsData struct {
	Shell
	Policy  string // settings.ImagesAsk, ImagesAlways or ImagesNever
	Senders []string
}
