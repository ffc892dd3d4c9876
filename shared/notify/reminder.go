package notify

import (
	"fmt"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
)

// ReminderMessage is the one retention reminder to a proven contact: its venues
// are erased at erasesAt unless it signs in before. Its only variable parts are
// the date, the number of venues and the sign-in address, all made by the service.
func ReminderMessage(ch contact.Channel, to string, venues int, erasesAt time.Time, signInURL string) Message {
	date := erasesAt.UTC().Format("2 January 2006")
	if ch == contact.SMS {
		return Message{Channel: contact.SMS, To: to, Body: fmt.Sprintf(
			"Check-in registry: your %d venue record(s) will be erased on %s unless you sign in before then: %s / Rekod premis anda akan dipadam pada %s melainkan anda log masuk sebelum itu.",
			venues, date, signInURL, date)}
	}
	body := fmt.Sprintf(`Your check-in registry account holds %d venue record(s).

We keep venue records only while they are in use. Unless you sign in before %s,
they will be erased, with your contact details, and their QR codes will stop working.

To keep them, sign in here:

%s

Akaun daftar masuk anda menyimpan %d rekod premis. Rekod itu, dengan butiran hubungan
anda, akan dipadam pada %s dan kod QR-nya tidak lagi sah, melainkan anda log masuk
sebelum tarikh itu di alamat di atas.

If you no longer need them, do nothing: they will be erased on that date.
`, venues, date, signInURL, venues, date)
	return Message{Channel: contact.Email, To: to, Subject: "Your check-in registry venues will be erased on " + date + " / Rekod premis anda akan dipadam", Body: body}
}
