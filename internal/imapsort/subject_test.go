package imapsort

import "testing"

func TestBaseSubject(t *testing.T) {
	for _, c := range []struct {
		in, want string
		reply    bool
	}{
		// RFC 5256 section 2.1, rule by rule.
		{"hello", "hello", false},
		{"  hello \t  world  ", "hello world", false},         // step 1: white space
		{"Re: hello", "hello", true},                          // step 3: subj-refwd
		{"RE: re: Re:hello", "hello", true},                   // repeated, no space needed
		{"Fwd: hello", "hello", true},                         // "fw" ["d"]
		{"FW: hello", "hello", true},                          //
		{"Re[2]: hello", "hello", true},                       // a blob inside subj-refwd
		{"Re : hello", "hello", true},                         // *WSP before ':'
		{"[list] Re: hello", "hello", true},                   // *subj-blob before subj-refwd
		{"[list] hello", "hello", false},                      // step 4: a blob alone
		{"[list]", "[list]", false},                           // ... unless nothing would be left
		{"[a] [b]", "[b]", false},                             //
		{"Re: [list]", "[list]", true},                        //
		{"hello (fwd)", "hello", true},                        // step 2: subj-trailer
		{"hello (Fwd) (fwd)  ", "hello", true},                // repeatedly
		{"[fwd: hello]", "hello", true},                       // step 6
		{"[Fwd: Re: [list] hello]", "hello", true},            // then steps 2 to 5 again
		{"Re: [fwd: hello (fwd)] (fwd)", "hello", true},       //
		{"Reply: hello", "Reply: hello", false},               // "re" must be followed by ':'
		{"Fwdx: hello", "Fwdx: hello", false},                 //
		{"[unclosed Re: hello", "[unclosed Re: hello", false}, // not a blob
		{"Fwd:", "", true},                                    //
		{"", "", false},                                       //
		// Japanese mail: encoded words in every charset real mail uses.
		{"Re: 会議", "会議", true},
		{"=?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", "会議", false},
		{"Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", "会議", true},
		{"=?Shift_JIS?B?ie+LYw==?=", "会議", false},
		{"Fwd: =?EUC-JP?B?svG1xA==?=", "会議", true},
		{"[list] Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?= (fwd)", "会議", true},
		{"Fwd: [list] 会議", "会議", true},
		{"Re: =?UTF-8?B?44CQ6YeN6KaB44CR5Lya6K2w44Gu5Lu2?=", "【重要】会議の件", true}, // 【】 are not [ ]
		{"Re:\r\n =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=", "会議", true},             // folded
		// Full-width forms as Japanese mailers write them, in the header or encoded.
		{"Ｒｅ：会議", "会議", true},
		{"=?ISO-2022-JP?B?GyRCI1IjZSEnMnE1RBsoQg==?=", "会議", true},
		{"［ｌｉｓｔ］　会議", "会議", false},
	} {
		got, reply := BaseSubject(c.in)
		if got != c.want || reply != c.reply {
			t.Errorf("BaseSubject(%q) = %q, %v; want %q, %v", c.in, got, reply, c.want, c.reply)
		}
	}
}

func TestCasemapKey(t *testing.T) {
	for _, c := range [][2]string{
		{"hello", "HELLO"},
		{"Hello", "ｈｅｌｌｏ"}, // full-width: compatibility-equal
		{"ﾃｽﾄ", "テスト"},     // half-width katakana
		{"会議", "会議"},
	} {
		if CasemapKey(c[0]) != CasemapKey(c[1]) {
			t.Errorf("%q and %q differ under i;unicode-casemap: %q %q", c[0], c[1], CasemapKey(c[0]), CasemapKey(c[1]))
		}
	}
	if CasemapKey("a") >= CasemapKey("B") {
		t.Error(`"a" does not sort before "B"`)
	}
	if CasemapKey("会議") == CasemapKey("会談") {
		t.Error("different kanji compare equal")
	}
}
