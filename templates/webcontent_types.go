package templates

// ImagesSettingsData is the remote images page: the policy and the senders whose
// images load without asking.
type ImagesSettingsData struct {
	Shell
	Policy  string // settings.ImagesAsk, ImagesAlways or ImagesNever
	Senders []string
}

// Preview is an attachment shown in the message page by the browser's own image or
// PDF viewer, in a sandboxed frame.
type Preview struct {
	Name     string
	Kind     string // "image" or "pdf"; "" = no preview
	URL      string // the inline part (handlers.MessagePreview)
	CloseURL string
}

// PushSettingsData is the notifications page.
type PushSettingsData struct {
	Shell
	Key     string // the VAPID public key browsers subscribe with
	Full    bool   // notifications show sender and subject
	Devices []PushDevice
}

// PushDevice is one device that gets notifications.
type PushDevice struct {
	ID, Label, Since string
}
