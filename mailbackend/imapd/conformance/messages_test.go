package conformance

// Messages the transcripts APPEND. Each is named for what it exercises.
var (
	msgPlain = `From: Hanako Sato <hanako@example.org>
To: Taro Suzuki <taro@example.net>
Subject: lunch on friday
Date: Mon, 6 Feb 2023 12:30:00 +0900
Message-ID: <plain-1@example.org>

Shall we meet at noon?
`
	msgShort = "Subject: short\n\nhi\n"
	// msgSizes are four messages of growing RFC822.SIZE; sizes 3 and 4 differ only in
	// line ends, so a server that measured stored bytes (LF) would tie them.
	msgSize1 = "Subject: a\n\nx\n"
	msgSize2 = "Subject: bb\n\nxxxxxxxxxx\n"
	msgSize3 = "Subject: ccc\n\n" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
	msgSize4 = "Subject: ddd\n\n" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\nx\n"
)

// plainMessages is the messages map of groups that need only n ordinary messages.
var plainMessages = map[string]string{"plain": msgPlain, "short": msgShort}

func repeat(name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name
	}
	return out
}
