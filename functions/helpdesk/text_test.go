package helpdesk

import (
	"strings"
	"testing"

	"github.com/checkin-registry/registry/shared/api"
)

func TestInert(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain words stay", "My poster will not print. Can you help?", "My poster will not print. Can you help?"},
		{"sentence end stays", "Done. Next", "Done. Next"},
		{"dot between words broken", "Done.Next", "Done[.]Next"},
		{"http", "see http://evil.example/x", "see hxxp[:]//evil[.]example/x"},
		{"https, upper case", "HTTPS://EVIL.EXAMPLE", "HxxPS[:]//EVIL[.]EXAMPLE"},
		{"other schemes", "ftp://a.b javascript:alert(1) mailto:x", "ftp[:]//a[.]b javascript[:]alert(1) mailto[:]x"},
		{"scheme-relative", "//evil.example/x", "//evil[.]example/x"},
		{"bare domain", "go to www.evil.example now", "go to www[.]evil[.]example now"},
		{"e-mail address", "write to boss@evil.example", "write to boss[at]evil[.]example"},
		{"full-width at and dots", "boss＠evil。com evil．com evil｡com", "boss[at]evil[.]com evil[.]com evil[.]com"},
		{"IPv4", "http://10.0.0.1:8080/", "hxxp[:]//10[.]0[.]0[.]1:8080/"},
		{"markup", `<a href="x">y</a>`, `‹a href="x"›y‹/a›`},
		{"times and ratios stay", "at 10:30, 3:1", "at 10:30, 3:1"},
		{"label with space stays", "Note: call me", "Note: call me"},
		{"bidi override shown", "abc\u202Edef", "abc[U+202E]def"},
		{"zero-width space shown", "evil\u200b.com", "evil[U+200B].com"},
		{"line break kept", "one\ntwo", "one\ntwo"},
		{"tab to spaces", "a\tb", "a  b"},
		{"CR shown", "a\rb", "a[U+000D]b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := inert(tt.in, false); got != tt.want {
				t.Fatalf("inert(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := inert("a\nb", true); got != "a[U+000A]b" {
		t.Fatalf("one-line inert = %q, want the line break shown", got)
	}
}

func TestQuoted(t *testing.T) {
	got := quoted("Subject: hi\n\nBcc: x@y.z", "  | ")
	want := "  | Subject: hi\n  |\n  | Bcc: x[at]y[.]z"
	if got != want {
		t.Fatalf("quoted = %q, want %q", got, want)
	}
}

func TestNormalise(t *testing.T) {
	a := normalise("  My QR code\r\n does NOT\tscan.  ")
	for _, b := range []string{"my qr code does not scan.", "MY QR CODE DOES NOT SCAN.", "Ｍｙ ＱＲ code does not scan."} {
		if normalise(b) != a {
			t.Errorf("normalise(%q) = %q, want %q", b, normalise(b), a)
		}
	}
	if normalise("my qr code does not scan!") == a {
		t.Error("different words normalised alike")
	}
}

func TestMessageText(t *testing.T) {
	for _, tt := range []struct {
		name, in, want, problem string
	}{
		{"trimmed, CRLF and CR folded", "  a\r\nb\rc  ", "a\nb\nc", ""},
		{"emoji", "👩 💻 🇲🇾", "👩 💻 🇲🇾", ""},
		{"NFC", "Cafe\u0301", "Café", ""},
		{"zero-width joiner", "👩\u200d💻", "", api.InvisibleProblem},
		{"zero-width non-joiner", "a\u200cb", "", api.InvisibleProblem},
		{"zero-width space", "a\u200bb", "", api.InvisibleProblem},
		{"right-to-left override", "a\u202eb", "", api.InvisibleProblem},
		{"line separator", "a\u2028b", "", api.InvisibleProblem},
		{"paragraph separator", "a\u2029b", "", api.InvisibleProblem},
		{"at the limit", strings.Repeat("é", MessageMax), strings.Repeat("é", MessageMax), ""},
		{"over the limit", strings.Repeat("é", MessageMax+1), "", "must be 1 to 2000 characters"},
		{"blank", " \n ", "", "must be 1 to 2000 characters"},
		{"NUL", "a\x00b", "", "must not contain control characters"},
		{"escape", "a\x1b[31mb", "", "must not contain control characters"},
		{"bidi", "a\u2066b", "", api.InvisibleProblem},
		{"BOM", "\ufeffa", "", api.InvisibleProblem},
		{"invalid UTF-8", "a\xffb", "", "must be valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			if got := messageText(&s); got != tt.problem {
				t.Fatalf("problem = %q, want %q", got, tt.problem)
			}
			if tt.problem == "" && s != tt.want {
				t.Fatalf("message = %q, want %q", s, tt.want)
			}
		})
	}
	if messageText(nil) != "is required" {
		t.Fatal("a missing message passed")
	}
}
